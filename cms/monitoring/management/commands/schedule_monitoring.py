from django.core.management.base import BaseCommand

from cms.monitoring.tasks import (
    fetch_interval,
    next_weekly_digest_time,
    schedule_next_fetch,
    schedule_next_weekly_digest,
)


class Command(BaseCommand):
    help = "Makes sure the next feed fetch and the next weekly digest are waiting for the task worker (idempotent)."

    def handle(self, *args, **options):
        if schedule_next_fetch(soon=True):
            self.stdout.write(
                f"External feeds: read every {fetch_interval()}; the first run is in a minute."
            )
        else:
            self.stdout.write(
                "External feeds: a fetch is already scheduled (or the task backend cannot defer)."
            )
        if schedule_next_weekly_digest():
            self.stdout.write(
                f"Weekly digests scheduled for {next_weekly_digest_time():%Y-%m-%d %H:%M} UTC."
            )
        else:
            self.stdout.write(
                "Weekly digests already scheduled (or the task backend cannot defer)."
            )
