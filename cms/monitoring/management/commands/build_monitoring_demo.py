"""manage.py build_monitoring_demo CSV: rebuilds the demo's authorisations from EMA's medicines report."""

import json

from django.core.management.base import BaseCommand

from cms.monitoring import demo


class Command(BaseCommand):
    help = (
        "Rebuilds cms/monitoring/demo/ema_authorisations.json from EMA's medicines report "
        "(CSV, English): every advanced therapy, and the biologics authorised since 2023."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", help="medicines_output_medicines_en.csv")

    def handle(self, *args, **options):
        records = demo.build_fixture(options["csv"])
        demo.FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        demo.FIXTURE.write_text(
            json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        self.stdout.write(f"{len(records)} authorisations written to {demo.FIXTURE}.")
