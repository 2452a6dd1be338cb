"""Background work of messaging, run by the task worker (`manage.py db_worker`)."""

from django.db import transaction
from django.tasks import task

from community.mail import email_user_on_commit
from community.models import User
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
            unread = list(
                Message.objects.filter(conversation_id=conversation_id, id__gt=since, deleted_at__isnull=True)
                .exclude(sender_id=user_id)
                .select_related("sender")
                .order_by("id")[:20]
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
