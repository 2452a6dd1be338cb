"""Background work of the CMS (Django's tasks framework)."""

from django.tasks import task


@task()
def publish_scheduled_pages() -> None:
    """Publishes the revisions whose go-live time has come and unpublishes expired pages.

    Enqueued for each scheduled time (cms.signals); Wagtail's `publish_scheduled`
    command does the work, so running it from cron as well is harmless.
    """
    from django.core.management import call_command

    call_command("publish_scheduled", verbosity=0)
