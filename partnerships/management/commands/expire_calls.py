from django.core.management.base import BaseCommand

from partnerships.services import expire_due_calls


class Command(BaseCommand):
    help = (
        "Expires published calls whose deadline has passed (idempotent). Each call also has a timer "
        "on the task worker; this catches up on deadlines that passed while the platform was down."
    )

    def handle(self, *args, **options):
        count = expire_due_calls()
        self.stdout.write(f"{count} call(s) expired.")
