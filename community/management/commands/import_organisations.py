"""manage.py import_organisations FILE [--preset NAME] [--map target=source ...] [--set target=value ...]

The work is done by community.importing; this command parses options, shows
progress on stderr and prints the summary.
"""

from django.core.management.base import BaseCommand, CommandError

from community.importing import PRESETS, ImportFailed, import_organisations, summary
from community.importing.cleaning import TARGETS
from community.importing.engine import parse_pairs


class Command(BaseCommand):
    help = (
        "Imports organisations from a CSV or JSON file into the directory, as unclaimed "
        "organisations. Rows matching an existing organisation (same website domain, or same "
        "name and country) only fill its empty fields, so re-running a file creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="CSV (any delimiter; UTF-8, cp1252 or latin-1) or JSON (a list of objects).",
        )
        parser.add_argument(
            "--format", choices=["csv", "json"], help="Default: from the file's extension."
        )
        parser.add_argument(
            "--map",
            action="append",
            metavar="TARGET=SOURCE",
            help=f"Take TARGET from column SOURCE (JSON: a dotted path such as web_pages.0). Targets: {', '.join(TARGETS)}.",
        )
        parser.add_argument(
            "--set",
            action="append",
            metavar="TARGET=VALUE",
            help="A constant for every row, e.g. --set kind=hospital --set stages=research,production.",
        )
        parser.add_argument(
            "--source",
            help="Recorded as the organisations' source (default: the preset's name, else the file name).",
        )
        parser.add_argument(
            "--preset", choices=sorted(PRESETS), help="A ready-made mapping for a known data set."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, write nothing."
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="Write every rejected, warned-about, merged and matched row to FILE (CSV).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows per transaction (default 500)."
        )

    def handle(self, *args, **options):
        # The bar writes to the raw stream: OutputWrapper ends every write with
        # a newline, which would break redrawing the line in place.
        progress = None if options["no_progress"] else self.stderr._out
        try:
            result = import_organisations(
                path=options["file"],
                fmt=options["format"],
                mapping=parse_pairs(options["map"], "--map"),
                constants=parse_pairs(options["set"], "--set"),
                source=options["source"],
                preset=options["preset"],
                dry_run=options["dry_run"],
                report_path=options["report"],
                progress=progress,
                batch_size=max(1, options["batch_size"]),
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary(result, report_path=options["report"]))
