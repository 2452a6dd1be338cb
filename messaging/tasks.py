"""Background work of messaging, run by the task worker (`manage.py db_worker`)."""

from django.db import transaction
from django.tasks import task

from community.mail import email_user_on_commit
from community.models import User
from messaging import aliases
from messaging.models import Conversation, Message, Participant
from messaging.notifications import Delivery, preference


@task()
def email_unread_messages(*, conversation_id: int, user_id: int) -> int:
    """Emails one person what others wrote in one conversation that they have not read.

    Scheduled once per conversation and window by services._schedule_unread_email;
    sends nothing if everything was read meanwhile, if the person left the
    conversation, or if they turned these emails off. Returns how many messages
    the email listed.
    """
    with transaction.atomic():
        # Lock order is the senders' (conversation, then participant): FK checks
        # deferred to COMMIT take a share lock on the conversation, and taking the
        # participant first would deadlock against a send.
        if not Conversation.objects.select_for_update().filter(pk=conversation_id).exists():
            return 0
        participant = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("user", "conversation")
            .filter(conversation_id=conversation_id, user_id=user_id)
            .first()
        )
        if participant is None:
            return 0
        user: User = participant.user
        unread: list[Message] = []
        if participant.left_at is None and user.is_active and preference(user, "message") == Delivery.IMMEDIATE:
            since = max(participant.last_read_id, participant.last_emailed_id)
            # Senders under an alias are named by it (shown_sender_name).
            unread = aliases.stamp(
                Message.objects.filter(conversation_id=conversation_id, id__gt=since, deleted_at__isnull=True)
                .exclude(sender_id=user_id)
                .select_related("sender")
                .order_by("id")[:20],
                user_id,
            )
        last_emailed = unread[-1].pk if unread else participant.last_emailed_id
        Participant.objects.filter(pk=participant.pk).update(email_scheduled=False, last_emailed_id=last_emailed)
        if not unread:
            return 0
        conversation: Conversation = participant.conversation
        email_user_on_commit(
            user,
            template="messaging/email/unread_messages",
            context={"conversation": conversation, "messages": unread, "more": len(unread) == 20},
        )
        return len(unread)


@task()
def email_notification(*, notification_id: int) -> bool:
    """Emails one notification whose kind the recipient wants by email at once (not messages:
    those are batched per conversation by email_unread_messages)."""
    from django.utils import timezone

    from messaging.models import Notification

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",)).select_related("recipient").filter(pk=notification_id).first()
        )
        if notification is None or notification.read_at or notification.emailed_at:
            return False
        user = notification.recipient
        if not user.is_active or preference(user, notification.kind) != Delivery.IMMEDIATE:
            return False
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        email_user_on_commit(user, template="messaging/email/notification", context={"notification": notification})
        return True


@task()
def send_daily_digests() -> int:
    """One email a day to each person who chose the digest for some kind of notification:
    what is still unread and not emailed yet. Nobody gets an empty digest. Returns how
    many emails left. Re-enqueues itself for the next day (see schedule_digests)."""
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import Notification
    from messaging.notifications import KINDS

    sent = 0
    now = timezone.now()
    since = now - timedelta(days=7)
    candidates = User.objects.filter(is_active=True, notifications__read_at__isnull=True, notifications__emailed_at__isnull=True, notifications__created_at__gte=since).distinct()
    for user in candidates.iterator():
        kinds = [k for k in KINDS if preference(user, k) == Delivery.DIGEST]
        if not kinds:
            continue
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update()
                .filter(recipient=user, kind__in=kinds, read_at__isnull=True, emailed_at__isnull=True, created_at__gte=since)
                .order_by("-id")[:50]
            )
            if not pending:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
            email_user_on_commit(user, template="messaging/email/digest", context={"notifications": pending})
            sent += 1
    schedule_next_digest()
    return sent


def next_digest_time():
    from datetime import UTC, datetime, time, timedelta

    from django.conf import settings
    from django.utils import timezone

    now = timezone.now()
    at = datetime.combine(now.date(), time(settings.DIGEST_HOUR_UTC), tzinfo=UTC)
    return at if at > now else at + timedelta(days=1)


def schedule_next_digest() -> bool:
    """Enqueues tomorrow's digest run unless one is already waiting. Only the database
    backend can defer; elsewhere digests are sent by calling the task."""
    backend = send_daily_digests.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    path = f"{send_daily_digests.func.__module__}.{send_daily_digests.func.__qualname__}"
    if DBTaskResult.objects.filter(task_path=path, status="READY").exists():
        return False
    send_daily_digests.using(run_after=next_digest_time()).enqueue()
    return True
