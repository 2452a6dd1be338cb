"""manage.py load_demo: the quick start's demo organisations and people (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from community.importing import summary
from community.importing.demo import load_demo


class Command(BaseCommand):
    help = (
        "Loads about 350 real European organisations (EMA holders, university hospitals, "
        "universities) and a few demo people and organisations. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (the demo accounts share a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Debug is off: this looks like production, and the demo accounts have a published "
                "password. Use --force if you really want demo data here."
            )
        result = load_demo()
        from partnerships import demo as partnership_demo  # the demo's calls need its organisations

        calls = partnership_demo.load()
        # News, stories and events that link the demo organisations.
        from cms import demo as cms_demo

        pages = cms_demo.load()
        # Feed items, tagged by the rules the migrations seed.
        from cms.monitoring import demo as monitoring_demo

        items = monitoring_demo.load()
        if options["verbosity"] > 1:
            self.stdout.write(summary(result.imported))
        imported = result.imported
        self.stdout.write(
            f"Demo data: {imported.created} organisations imported "
            f"({imported.unchanged + imported.updated} already there), "
            f"{result.people_created} people, {result.organisations_created} demo organisations and "
            f"{result.memberships_created} memberships and {calls} partnership calls created. "
            "Sign-in details: manage.py demo_banner."
        )
        self.stdout.write(f"Demo content: {pages} pages created (news, stories, events, a panorama).")
        self.stdout.write(f"Monitoring feed: {items} items (EU authorisations of biologics, from EMA's data).")
