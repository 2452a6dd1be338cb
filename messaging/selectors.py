"""Every read of conversations, messages and notifications that a person sees.

Access to a conversation is an active Participant row: the participation
table is the permission (there is no other role to hold), so selectors start
from it the way guardian-backed selectors start from `visible()`.

What a participant under an alias hides is decided in messaging.aliases; the
selectors that return messages or people to a user apply it for that user
(messages get `shown_sender_id` and `shown_sender_name`; templates show
those, never `sender`).
"""

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from community.models import User
from messaging import aliases
from messaging.models import Block, Conversation, Message, Notification, Participant

PAGE = 50


def conversations_visible(*, user) -> QuerySet[Conversation]:
    if not user.is_authenticated:
        return Conversation.objects.none()
    return Conversation.objects.filter(participants__user=user, participants__left_at__isnull=True)


def conversation_get_visible(*, user, conversation_id) -> Conversation:
    try:
        return conversations_visible(user=user).get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def is_active_participant(*, user_id: int, conversation_id: int) -> bool:
    return Participant.objects.filter(user_id=user_id, conversation_id=conversation_id, left_at__isnull=True).exists()


def active_participant_ids(conversation_id: int) -> list[int]:
    return list(
        Participant.objects.filter(conversation_id=conversation_id, left_at__isnull=True).values_list("user_id", flat=True)
    )


def active_participant_aliases(conversation_id: int) -> dict[int, str]:
    """Active participants' user ids, each with their alias ("" for real names)."""
    return dict(
        Participant.objects.filter(conversation_id=conversation_id, left_at__isnull=True).values_list("user_id", "alias")
    )


def inbox(*, user) -> QuerySet[Conversation]:
    """My conversations, latest activity first, each with `unread` and `my_last_read`."""
    mine = Participant.objects.filter(conversation=OuterRef("pk"), user=user)
    last_read = Subquery(mine.values("last_read_id")[:1])
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), deleted_at__isnull=True, id__gt=OuterRef("my_last_read"))
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        conversations_visible(user=user)
        .annotate(my_last_read=last_read)
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")
    )


def with_people(conversations, *, viewer):
    """Attaches `people` (active participants as `viewer` may see them: aliases.Person,
    one entry per alias) to each conversation, in two queries."""
    conversations = list(conversations)
    ids = [c.pk for c in conversations]
    by_conversation: dict[int, list[Participant]] = {i: [] for i in ids}
    for p in Participant.objects.filter(conversation_id__in=ids, left_at__isnull=True).select_related("user").order_by("pk"):
        by_conversation[p.conversation_id].append(p)
    for c in conversations:
        c.people = aliases.people(by_conversation[c.pk], viewer.pk)
    return conversations


def unread_total(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return (
        Message.objects.filter(
            conversation__participants__user=user,
            conversation__participants__left_at__isnull=True,
            id__gt=F("conversation__participants__last_read_id"),
            deleted_at__isnull=True,
        )
        .exclude(sender=user)
        .count()
    )


def messages_visible(*, user, conversation_id) -> QuerySet[Message]:
    """Messages of a conversation the user is in; deleted ones stay, blank, in their place."""
    conversation = conversation_get_visible(user=user, conversation_id=conversation_id)
    return Message.objects.filter(conversation=conversation).select_related("sender")


def messages_after(*, user, conversation_id, after: int, limit: int = PAGE) -> tuple[list[Message], bool]:
    """What a reconnecting client missed: the messages after `after`, oldest first."""
    rows = list(messages_visible(user=user, conversation_id=conversation_id).filter(id__gt=after).order_by("id")[: limit + 1])
    return aliases.stamp(rows[:limit], user.pk), len(rows) > limit


def messages_before(*, user, conversation_id, before: int | None, limit: int = PAGE) -> tuple[list[Message], bool]:
    """A page of history, oldest first, ending just before `before` (the latest when None)."""
    qs = messages_visible(user=user, conversation_id=conversation_id)
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    has_more = len(rows) > limit
    return aliases.stamp(reversed(rows[:limit]), user.pk), has_more


def message_search(*, user, q: str, limit: int = 50) -> list[Message]:
    """Search in one's own conversations (PostgreSQL full text; a LIKE fallback elsewhere);
    senders under an alias stay masked."""
    from django.db import connection

    from community.text import search_terms

    terms = search_terms(q)
    if not terms:
        return []
    qs = Message.objects.filter(
        conversation__in=conversations_visible(user=user), deleted_at__isnull=True
    ).select_related("sender", "conversation")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        from community.search import raw_tsquery

        query = SearchQuery(raw_tsquery(terms), search_type="raw", config="simple")
        vector = SearchVector("body", config="simple")
        qs = qs.annotate(rank=SearchRank(vector, query)).filter(rank__gt=0).order_by("-rank", "-id")
    else:
        for term in terms:
            qs = qs.filter(body__icontains=term)
        qs = qs.order_by("-id")
    return aliases.stamp(qs[:limit], user.pk)


def is_blocked(*, sender_id: int, recipient_ids) -> bool:
    """True when any recipient blocks the sender."""
    return Block.objects.filter(blocker_id__in=list(recipient_ids), blocked_id=sender_id).exists()


def blocked_users(*, user) -> QuerySet[User]:
    return User.objects.filter(blocked_by__blocker=user)


# Notifications


def notifications_visible(*, user) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related("actor")


def notifications_unread_count(*, user) -> int:
    return notifications_visible(user=user).filter(read_at__isnull=True).count()


def participants_q(user) -> Q:
    return Q(participants__user=user, participants__left_at__isnull=True)
