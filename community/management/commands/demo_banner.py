"""manage.py demo_banner --url URL: where the site runs and how to sign in to the demo."""

from django.conf import settings
from django.core.management.base import BaseCommand

from community.importing import demo
from community.models import User


class Command(BaseCommand):
    help = "Prints the site's address and the demo sign-in details."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where the site is served."
        )

    def handle(self, *args, **options):
        url = options["url"].rstrip("/") + "/"
        lines = [f"{settings.SITE_NAME} is running at {url}", ""]
        emails = set(
            User.objects.filter(email__in=[demo.DEMO_EMAIL, demo.ADMIN_EMAIL]).values_list(
                "email", flat=True
            )
        )
        # Never print the shared password where the demo accounts could not be safely used.
        if settings.DEBUG and emails == {demo.DEMO_EMAIL, demo.ADMIN_EMAIL}:
            lines += [
                f"  Demo sign-in:   {demo.DEMO_EMAIL}   password: {demo.PASSWORD}",
                f"  Admin sign-in:  {demo.ADMIN_EMAIL:<{len(demo.DEMO_EMAIL)}}   password: {demo.PASSWORD}",
                f"                  Django admin {url}admin/   Wagtail CMS {url}cms/",
                "  Every *@demo.example account has the same password.",
            ]
        elif settings.DEBUG:
            lines.append("  No demo accounts yet: run `manage.py load_demo` (make run does).")
        width = max(len(line) for line in lines) + 4
        rule = "=" * width
        self.stdout.write(
            "\n".join(["", rule, *(f"  {line}".rstrip() for line in lines), rule, ""])
        )
