from django.core.management.base import BaseCommand

from messaging.tasks import next_digest_time, schedule_next_digest


class Command(BaseCommand):
    help = "Makes sure tomorrow's daily digest run is waiting for the task worker (idempotent)."

    def handle(self, *args, **options):
        if schedule_next_digest():
            self.stdout.write(f"Daily digests scheduled for {next_digest_time():%Y-%m-%d %H:%M} UTC.")
        else:
            self.stdout.write("Daily digests already scheduled (or the task backend cannot defer).")
