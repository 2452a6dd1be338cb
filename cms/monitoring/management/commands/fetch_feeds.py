"""manage.py fetch_feeds: reads the external feeds now, in this process, and says how it went."""

from django.core.management.base import BaseCommand

from cms.monitoring import services
from cms.monitoring.models import ExternalFeed
from cms.monitoring.tagging import Ruleset


class Command(BaseCommand):
    help = (
        "Fetches the active external feeds now (all of them, or those whose turn has come with --due) "
        "and stores their new items, tagged. A bad feed is reported and never stops the others."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed", type=int, action="append", help="Only this feed (its id); may be repeated."
        )
        parser.add_argument(
            "--due",
            action="store_true",
            help="Only the feeds whose turn has come (as the schedule does).",
        )
        parser.add_argument(
            "--retag",
            action="store_true",
            help="Afterwards, apply the tagging rules again to items no editor corrected.",
        )

    def handle(self, *args, **options):
        if options["due"]:
            feeds = services.feeds_due()
        else:
            feeds = ExternalFeed.objects.filter(active=True).order_by("name")
            if options["feed"]:
                feeds = feeds.filter(pk__in=options["feed"])
        ruleset = Ruleset.active()
        failures = 0
        for feed in feeds:
            report = services.feed_fetch(feed=feed, ruleset=ruleset)
            if report.skipped:
                self.stdout.write(f"{feed.name}: being read by another worker, skipped.")
            elif report.ok:
                self.stdout.write(
                    f"{feed.name}: {report.status}, {report.created} new, {report.duplicates} duplicates."
                )
            else:
                failures += 1
                self.stderr.write(f"{feed.name}: {report.status}: {report.error}")
        if options["retag"]:
            self.stdout.write(f"{services.items_retag(ruleset=ruleset)} items tagged again.")
        if failures:
            self.stderr.write(f"{failures} feed(s) failed; see their last error in the admin.")
