"""Notification kinds, each user's preference per kind, and `notify()`.

Other apps register their kinds (`register_kind`) and call `notify()` from
their services once they have decided who may know; `notify()` applies the
recipient's preference: in the app only, email immediately (after a short
delay for messages, batched), in the daily digest, or off.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.events import publish_on_commit, user_group
from messaging.models import Notification


class Delivery:
    IN_APP = "in_app"
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"

    choices = [
        (IN_APP, _("In the app only")),
        (IMMEDIATE, _("In the app and by email")),
        (DIGEST, _("In the app and in a daily email digest")),
        (OFF, _("Off")),
    ]
    values = {IN_APP, IMMEDIATE, DIGEST, OFF}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    default: str


KINDS: dict[str, Kind] = {}


def register_kind(key: str, label, default: str = Delivery.IMMEDIATE) -> None:
    KINDS[key] = Kind(key, label, default)


register_kind("message", _("A new direct or group message"), Delivery.IMMEDIATE)


def preference(user, kind: str) -> str:
    prefs = user.notification_preferences or {}
    value = prefs.get(kind)
    if value in Delivery.values:
        return value
    return KINDS[kind].default if kind in KINDS else Delivery.IN_APP


def payload(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "actor": notification.actor_id,
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def notify(*, recipient, kind: str, title: str, body: str = "", url: str = "", actor=None, group_key: str = "") -> Notification | None:
    """Records a notification for one recipient and pushes it to their sockets after commit.

    The caller has decided that `recipient` may see what the notification says.
    With a `group_key`, an unread notification with the same key is refreshed
    instead of piling up (one line per conversation, not one per message).
    """
    if not recipient.is_active or preference(recipient, kind) == Delivery.OFF:
        return None
    now = timezone.now()
    with transaction.atomic():
        notification = None
        if group_key:
            notification = (
                Notification.objects.select_for_update()
                .filter(recipient=recipient, group_key=group_key, read_at__isnull=True)
                .first()
            )
        if notification is not None:
            notification.title, notification.body, notification.url = title[:200], body[:1000], url[:500]
            notification.actor, notification.created_at, notification.emailed_at = actor, now, None
            notification.save(update_fields=["title", "body", "url", "actor", "created_at", "emailed_at"])
        else:
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:200],
                body=body[:1000],
                url=url[:500],
                actor=actor,
                group_key=group_key,
                created_at=now,
            )
    publish_on_commit(user_group(recipient.pk), {"type": "gateway.event", "payload": {"type": "notification.new", "notification": payload(notification)}})
    if kind != "message" and preference(recipient, kind) == Delivery.IMMEDIATE:
        # Messages are emailed in batches per conversation (tasks.email_unread_messages).
        from messaging.tasks import email_notification

        transaction.on_commit(lambda: email_notification.enqueue(notification_id=notification.pk), robust=True)
    return notification
