"""The CMS's reactions to Wagtail's publishing: the monitoring feed, and scheduled publishing.

The monitoring feed (cms.monitoring, another app) learns of every news article
and event published or withdrawn through `cms.monitoring.services.item_from_page`
and `item_withdrawn`, when that module has them; a failure there is logged and
never stops an editor's publishing.
"""

import importlib
import logging

from django.db import transaction
from django.db.models.signals import post_save
from wagtail.models import Revision
from wagtail.signals import page_published, page_unpublished

logger = logging.getLogger(__name__)
MONITORING_SERVICES = "cms.monitoring.services"


def monitoring_hook(name: str):
    """`cms.monitoring.services.<name>` if the monitoring app provides it, else None."""
    try:
        services = importlib.import_module(MONITORING_SERVICES)
    except ModuleNotFoundError as exc:
        if exc.name != MONITORING_SERVICES:
            raise
        return None
    return getattr(services, name) if hasattr(services, name) else None


def _tell_monitoring(name: str, page) -> None:
    hook = monitoring_hook(name)
    if hook is None:
        return
    try:
        with transaction.atomic():  # a savepoint: their failure leaves the publication intact
            hook(page)
    except Exception:
        logger.exception("monitoring %s failed for page %s", name, page.pk)


def _monitored(page) -> bool:
    from cms.models import EventPage, NewsArticlePage

    return isinstance(page, NewsArticlePage | EventPage)


def on_page_published(sender, instance, **kwargs):
    if _monitored(instance):
        _tell_monitoring("item_from_page", instance)
    if instance.expire_at:
        _schedule(instance.expire_at)


def on_page_unpublished(sender, instance, **kwargs):
    if _monitored(instance):
        _tell_monitoring("item_withdrawn", instance)


def on_revision_saved(sender, instance, update_fields=None, **kwargs):
    """Wagtail marks a revision approved for a future go-live time: run the publisher then."""
    if instance.approved_go_live_at and (
        update_fields is None or "approved_go_live_at" in update_fields
    ):
        _schedule(instance.approved_go_live_at)


def _schedule(when) -> None:
    from cms.tasks import publish_scheduled_pages

    if not publish_scheduled_pages.get_backend().supports_defer:
        return  # `manage.py publish_scheduled` (cron) covers backends that cannot defer
    transaction.on_commit(
        lambda: publish_scheduled_pages.using(run_after=when).enqueue(), robust=True
    )


def connect() -> None:
    # Every page type: the monitoring feed takes news and events, scheduling concerns all pages.
    page_published.connect(on_page_published, dispatch_uid="cms-page-published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid="cms-page-unpublished")
    post_save.connect(on_revision_saved, sender=Revision, dispatch_uid="cms-revision-schedule")
