"""Every write to conversations, messages, blocks, reports and notifications.

Guarantees (DESIGN.md, Real time): a message is stored before it is
announced (events leave after commit); sends to one conversation are
serialised by locking its row, so ids grow in commit order and `after`
never skips a late commit; a resend with the same client_id returns the
original. Events go to each active participant's `user.<id>` group, chosen
from the database at send time, so a removed participant gets nothing more.

Partnership discussions (`conversation_create_with_sides`) may hold a side
under an alias: message events are built per recipient (the sender sees their
own message as theirs; everyone else, the alias: messaging.aliases), and no
event, notification or email names, or gives the id of, someone under an alias.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import Conflict, NotAllowed, ServiceError
from community.events import publish_on_commit, user_group
from community.models import Organisation, OrganisationMembership, User
from community.selectors import profile_visible_q
from messaging import aliases, markdown, selectors
from messaging.models import (
    MAX_ALIAS_CHARS,
    MAX_BODY_CHARS,
    MAX_GROUP_PARTICIPANTS,
    Block,
    Conversation,
    Message,
    Notification,
    Participant,
    Report,
)
from messaging.notifications import Delivery, notify, preference


class TooLarge(ServiceError):
    code = "too_large"


def message_payload(message: Message, prev_id: int | None = None, *, viewer_id: int | None) -> dict:
    """The message as `viewer_id` may see it: under an alias, `sender` is None and
    `sender_name` the alias, except for the sender. `sender_alias` says under which
    alias it was sent ("" for none)."""
    deleted = message.deleted_at is not None
    sender_id, sender_name = aliases.sender_shown(message, viewer_id)
    data = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": sender_id,
        "sender_name": sender_name,
        "sender_alias": message.sender_alias,
        "body": "" if deleted else message.body,
        "body_html": "" if deleted else message.body_html,
        "client_id": str(message.client_id),
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": deleted,
    }
    if prev_id is not None:
        data["prev_id"] = prev_id
    return data


def _publish_to_participants(conversation_id: int, payload: dict, *, only: list[int] | None = None) -> None:
    """The same payload to every active participant (or to `only`): it may name nobody under an alias."""
    user_ids = only if only is not None else selectors.active_participant_ids(conversation_id)
    event = {"type": "gateway.event", "payload": payload}
    for user_id in user_ids:
        publish_on_commit(user_group(user_id), event)


def _publish_message(kind: str, message: Message, *, prev_id: int | None = None, only: list[int] | None = None) -> None:
    """`message.new` or `message.updated`, built for each recipient: the sender gets their
    own message as theirs, the others what messaging.aliases lets them see."""
    user_ids = only if only is not None else selectors.active_participant_ids(message.conversation_id)
    theirs = {"type": kind, "message": message_payload(message, prev_id, viewer_id=None)}
    own = {"type": kind, "message": message_payload(message, prev_id, viewer_id=message.sender_id)}
    for user_id in user_ids:
        payload = own if user_id == message.sender_id else theirs
        publish_on_commit(user_group(user_id), {"type": "gateway.event", "payload": payload})


def _lock_for_participant(actor, conversation_id) -> Conversation:
    """Locks the conversation row if `actor` is an active participant, else 404."""
    try:
        conversation = Conversation.objects.select_for_update().get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not selectors.is_active_participant(user_id=actor.pk, conversation_id=conversation.pk):
        raise Http404
    return conversation


def _validate_body(body) -> str:
    if not isinstance(body, str):
        raise ServiceError(_("A message is text."))
    body = body.strip()
    if not body:
        raise ServiceError(_("A message cannot be empty."))
    if "\x00" in body:
        raise ServiceError(_("A message cannot contain NUL characters."))
    if len(body) > MAX_BODY_CHARS:
        raise TooLarge(_("A message holds at most %(n)s characters.") % {"n": f"{MAX_BODY_CHARS:,}"})
    return body


def _parse_client_id(client_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        raise ServiceError(_("client_id must be a UUID.")) from None


# Conversations


def _direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def _require_can_message(actor: User, others: list[User], *, check_visibility: bool = True) -> None:
    if not actor.is_authenticated or not actor.is_active:
        raise NotAllowed(_("Sign in to send messages."))
    if any(not u.is_active for u in others):
        raise ServiceError(_("One of these people has left the platform."))
    if check_visibility:
        # Whom you may not see, you may not write to: a private profile stays private.
        visible = set(User.objects.filter(profile_visible_q(actor), pk__in=[u.pk for u in others]).values_list("pk", flat=True))
        if len(visible) != len({u.pk for u in others}):
            raise Http404
    if selectors.is_blocked(sender_id=actor.pk, recipient_ids=[u.pk for u in others]):
        raise NotAllowed(_("You cannot message this person."))


@transaction.atomic
def conversation_direct_get_or_create(*, actor: User, other: User, check_visibility: bool = True) -> tuple[Conversation, bool]:
    """The one conversation between two people; (conversation, created).

    `check_visibility=False` is for reaching an organisation's admins, whose
    organisation is public even when their profiles are not.
    """
    if other.pk == actor.pk:
        raise ServiceError(_("You cannot start a conversation with yourself."))
    _require_can_message(actor, [other], check_visibility=check_visibility)
    key = _direct_key(actor.pk, other.pk)
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(kind=Conversation.Kind.DIRECT, direct_key=key, created_by=actor)
    except IntegrityError:
        # Someone else created it at the same moment: theirs is ours.
        return Conversation.objects.get(direct_key=key), False
    Participant.objects.bulk_create([Participant(conversation=conversation, user=u) for u in (actor, other)])
    return conversation, True


@transaction.atomic
def conversation_group_create(*, actor: User, participants: list[User], title: str = "", check_visibility: bool = True) -> Conversation:
    others = [u for u in dict.fromkeys(participants) if u.pk != actor.pk]
    if not others:
        raise ServiceError(_("Add at least one other person."))
    if len(others) + 1 > MAX_GROUP_PARTICIPANTS:
        raise ServiceError(_("A group conversation has at most %d people.") % MAX_GROUP_PARTICIPANTS)
    _require_can_message(actor, others, check_visibility=check_visibility)
    conversation = Conversation.objects.create(kind=Conversation.Kind.GROUP, title=title.strip()[:120], created_by=actor)
    Participant.objects.bulk_create([Participant(conversation=conversation, user=u) for u in [actor, *others]])
    return conversation


def conversation_start(*, actor: User, participants: list[User], title: str = "") -> tuple[Conversation, bool]:
    """One other person: their direct conversation (reused); several: a new group."""
    others = [u for u in dict.fromkeys(participants) if u.pk != actor.pk]
    if len(others) == 1 and not title:
        return conversation_direct_get_or_create(actor=actor, other=others[0])
    return conversation_group_create(actor=actor, participants=others, title=title), True


@transaction.atomic
def conversation_contact_organisation(*, actor: User, organisation: Organisation) -> tuple[Conversation, bool]:
    """Reaches an organisation's admins: their direct conversation if one admin, else a group."""
    admins = list(
        User.objects.filter(
            organisation_memberships__organisation=organisation,
            organisation_memberships__role=OrganisationMembership.Role.ADMIN,
            is_active=True,
        ).exclude(pk=actor.pk)
    )
    if not admins:
        raise ServiceError(_("Nobody manages this organisation on the platform yet."), code="no_admins")
    if len(admins) == 1:
        return conversation_direct_get_or_create(actor=actor, other=admins[0], check_visibility=False)
    title = _("Contact: %(name)s") % {"name": organisation.name}
    group = conversation_group_create(actor=actor, participants=admins[: MAX_GROUP_PARTICIPANTS - 1], title=title, check_visibility=False)
    return group, True


@transaction.atomic
def conversation_rename(*, actor: User, conversation_id: int, title: str) -> Conversation:
    conversation = _lock_for_participant(actor, conversation_id)
    if conversation.kind != Conversation.Kind.GROUP or conversation.created_by_id != actor.pk:
        raise NotAllowed(_("Only the creator of a group conversation renames it."))
    conversation.title = title.strip()[:120]
    conversation.save(update_fields=["title"])
    _publish_to_participants(conversation.pk, {"type": "conversation.updated", "conversation": conversation.pk, "title": conversation.title})
    return conversation


@transaction.atomic
def conversation_participant_add(*, actor: User, conversation_id: int, user: User) -> Participant:
    conversation = _lock_for_participant(actor, conversation_id)
    if conversation.kind != Conversation.Kind.GROUP or conversation.created_by_id != actor.pk:
        raise NotAllowed(_("Only the creator of a group conversation adds people."))
    if len(selectors.active_participant_ids(conversation.pk)) >= MAX_GROUP_PARTICIPANTS:
        raise Conflict(_("A group conversation has at most %d people.") % MAX_GROUP_PARTICIPANTS)
    _require_can_message(actor, [user])
    participant, created = Participant.objects.get_or_create(conversation=conversation, user=user)
    if not created and participant.left_at is None:
        raise Conflict(_("%(user)s is already in this conversation.") % {"user": user})
    if not created:
        # Rejoining starts from now: what was said while away stays unread, not hidden.
        participant.left_at = None
        participant.save(update_fields=["left_at"])
    _publish_to_participants(conversation.pk, {"type": "conversation.joined", "conversation": conversation.pk, "user": user.pk})
    return participant


def _revoke(conversation: Conversation, user_id: int) -> None:
    # Caller holds the conversation lock: no message of this conversation can be
    # sent, and so fanned out, between this update and the commit.
    alias = Participant.objects.filter(conversation=conversation, user_id=user_id).values_list("alias", flat=True).first()
    Participant.objects.filter(conversation=conversation, user_id=user_id, left_at__isnull=True).update(left_at=timezone.now())
    publish_on_commit(user_group(user_id), {"type": "gateway.event", "payload": {"type": "conversation.removed", "conversation": conversation.pk}})
    # Someone under an alias leaves without their id.
    _publish_to_participants(conversation.pk, {"type": "conversation.left", "conversation": conversation.pk, "user": None if alias else user_id})


@transaction.atomic
def conversation_participant_remove(*, actor: User, conversation_id: int, user: User) -> None:
    """The creator removes someone from a group conversation; anyone may leave one."""
    conversation = _lock_for_participant(actor, conversation_id)
    if conversation.kind != Conversation.Kind.GROUP:
        raise NotAllowed(_("People are removed from group conversations only."))
    if user.pk != actor.pk and conversation.created_by_id != actor.pk:
        raise NotAllowed(_("Only the creator of a group conversation removes people."))
    if not selectors.is_active_participant(user_id=user.pk, conversation_id=conversation.pk):
        raise ServiceError(_("%(user)s is not in this conversation.") % {"user": user})
    _revoke(conversation, user.pk)


# Working-group chats: participants follow the group's active members. Callers
# (workgroups.services) have checked the permission to change the membership.


def workgroup_conversation_create(*, title: str, user_ids: list[int]) -> Conversation:
    conversation = Conversation.objects.create(kind=Conversation.Kind.WORKGROUP, title=title[:120])
    Participant.objects.bulk_create([Participant(conversation=conversation, user_id=uid) for uid in dict.fromkeys(user_ids)])
    return conversation


@transaction.atomic
def workgroup_conversation_sync(*, conversation_id: int, user_ids: list[int]) -> None:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    wanted = set(user_ids)
    current = set(selectors.active_participant_ids(conversation.pk))
    for user_id in current - wanted:
        _revoke(conversation, user_id)
    for user_id in wanted - current:
        Participant.objects.update_or_create(conversation=conversation, user_id=user_id, defaults={"left_at": None})


# Partnership discussions: sides, each under an alias or its real names. These are
# system services: callers (partnerships.services) have checked that the actor may
# open, extend or reveal the discussion. The title is shown to everyone: it must
# not name a side that is under an alias.


def _clean_alias(alias) -> str:
    if not isinstance(alias, str) or "\x00" in alias:
        raise ServiceError(_("An alias is text."))
    alias = " ".join(alias.split())
    if len(alias) > MAX_ALIAS_CHARS:
        raise ServiceError(_("An alias holds at most %(n)s characters.") % {"n": MAX_ALIAS_CHARS})
    return alias


@transaction.atomic
def conversation_create_with_sides(*, title: str, sides: list[tuple[list[int], str]]) -> Conversation:
    """A partnership discussion whose participants are the `sides`' user ids, each side
    under its alias ("" for real names); inactive and unknown users are skipped.

    Refuses (ServiceError) a user in two sides, two sides with the same alias, an
    alias over MAX_ALIAS_CHARS, more than MAX_GROUP_PARTICIPANTS people, or nobody.
    """
    alias_of: dict[int, str] = {}
    side_of: dict[int, int] = {}
    seen_aliases: set[str] = set()
    for index, (user_ids, alias) in enumerate(sides):
        alias = _clean_alias(alias)
        if alias and alias in seen_aliases:
            raise ServiceError(_("Two sides cannot share an alias."))
        seen_aliases.add(alias)
        for user_id in user_ids:
            if side_of.setdefault(user_id, index) != index:
                raise ServiceError(_("A person can be on one side of a conversation only."))
            alias_of[user_id] = alias
    found = set(User.objects.filter(pk__in=list(alias_of), is_active=True).values_list("pk", flat=True))
    active = [uid for uid in alias_of if uid in found]  # sides in the order given: lists follow it
    if not active:
        raise ServiceError(_("Nobody is left to take part in this conversation."))
    if len(active) > MAX_GROUP_PARTICIPANTS:
        raise ServiceError(_("A group conversation has at most %d people.") % MAX_GROUP_PARTICIPANTS)
    conversation = Conversation.objects.create(kind=Conversation.Kind.PARTNERSHIP, title=title.strip()[:120])
    Participant.objects.bulk_create([Participant(conversation=conversation, user_id=uid, alias=alias_of[uid]) for uid in active])
    return conversation


@transaction.atomic
def conversation_add_to_side(*, conversation_id: int, user_ids: list[int], alias: str) -> list[Participant]:
    """Adds people to a partnership discussion under `alias` ("" for real names: the
    caller passes "" once the side has revealed itself); inactive users are skipped.

    Someone already in the conversation under another alias is refused
    (ServiceError): a person is on one side only. Someone who left comes back.
    """
    alias = _clean_alias(alias)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id, kind=Conversation.Kind.PARTNERSHIP)
    existing = {p.user_id: p for p in Participant.objects.filter(conversation=conversation, user_id__in=user_ids)}
    if any(p.left_at is None and p.alias != alias for p in existing.values()):
        raise ServiceError(_("A person can be on one side of a conversation only."))
    active_now = selectors.active_participant_ids(conversation.pk)
    new_ids = [
        uid
        for uid in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk").values_list("pk", flat=True)
        if uid not in existing or existing[uid].left_at is not None
    ]
    if len(active_now) + len(new_ids) > MAX_GROUP_PARTICIPANTS:
        raise Conflict(_("A group conversation has at most %d people.") % MAX_GROUP_PARTICIPANTS)
    added = []
    for uid in new_ids:
        participant, _created = Participant.objects.update_or_create(
            conversation=conversation, user_id=uid, defaults={"left_at": None, "alias": alias}
        )
        added.append(participant)
        # Someone under an alias joins without their id.
        _publish_to_participants(conversation.pk, {"type": "conversation.joined", "conversation": conversation.pk, "user": None if alias else uid})
    return added


@transaction.atomic
def conversation_remove_from_sides(*, conversation_id: int, user_ids: list[int]) -> None:
    """Removes people from a partnership discussion (they no longer receive anything)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id, kind=Conversation.Kind.PARTNERSHIP)
    for user_id in set(user_ids) & set(selectors.active_participant_ids(conversation.pk)):
        _revoke(conversation, user_id)


@transaction.atomic
def conversation_reveal(*, conversation_id: int) -> None:
    """Every side of the conversation shows its real names from now on.

    Messages already sent keep their alias (what was said anonymously stays
    anonymous); later messages and the lists of people show real names. Open
    pages hear `conversation.updated` and refresh their list of people.
    """
    # The lock orders the reveal with sends: a message stored after it reads no alias.
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if Participant.objects.filter(conversation=conversation).exclude(alias="").update(alias=""):
        _publish_to_participants(conversation.pk, {"type": "conversation.updated", "conversation": conversation.pk})


# Messages


def message_send(*, actor: User, conversation_id, body, client_id) -> tuple[Message, bool]:
    """Stores a message and announces it after commit; (message, created).

    A resend with a client_id this sender used before returns the original
    message and announces nothing, under concurrency too.
    """
    body = _validate_body(body)
    client_uuid = _parse_client_id(client_id)
    existing = Message.objects.filter(sender=actor, client_id=client_uuid).select_related("sender").first()
    if existing is None:
        try:
            with transaction.atomic():
                return _store_message(actor, conversation_id, body, client_uuid), True
        except IntegrityError:
            # The same client_id committed meanwhile (a resend racing its original).
            existing = Message.objects.filter(sender=actor, client_id=client_uuid).select_related("sender").first()
            if existing is None:
                raise
    if str(existing.conversation_id) != str(conversation_id):
        raise ServiceError(_("This client_id was already used in another conversation."))
    return existing, False


def _store_message(actor: User, conversation_id, body: str, client_uuid: uuid.UUID) -> Message:
    conversation = _lock_for_participant(actor, conversation_id)
    # Read under the conversation lock: a concurrent reveal is either wholly before or after.
    participants = selectors.active_participant_aliases(conversation.pk)
    recipients = [uid for uid in participants if uid != actor.pk]
    if conversation.kind == Conversation.Kind.DIRECT and selectors.is_blocked(sender_id=actor.pk, recipient_ids=recipients):
        raise NotAllowed(_("You cannot message this person."))
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        sender=actor,
        body=body,
        body_html=markdown.render(body),
        client_id=client_uuid,
        created_at=now,
        sender_alias=participants.get(actor.pk, ""),
    )
    prev_id = conversation.last_message_id
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now, last_message_id=message.pk)
    Participant.objects.filter(conversation=conversation, user=actor).update(last_read_id=message.pk)
    message.sender = actor
    _publish_message("message.new", message, prev_id=prev_id, only=[actor.pk, *recipients])
    _notify_recipients(conversation, message, recipients)
    return message


def _notify_recipients(conversation: Conversation, message: Message, recipient_ids: list[int]) -> None:
    if conversation.kind == Conversation.Kind.WORKGROUP:
        return  # a group's chat is read in the group; its activity reaches people through the group
    url = reverse("messaging:conversation", kwargs={"conversation_id": conversation.pk})
    # Recipients never include the sender: under an alias, the alias and no actor.
    _sender_id, name = aliases.sender_shown(message, None)
    actor = None if message.sender_alias else message.sender
    if conversation.kind == Conversation.Kind.DIRECT:
        title = _("New message from %(name)s") % {"name": name}
    elif conversation.kind == Conversation.Kind.PARTNERSHIP:
        title = _("New message from %(name)s in %(title)s") % {"name": name, "title": conversation.title or _("a partnership discussion")}
    else:
        title = _("New message in %(title)s") % {"title": conversation.title or _("a group conversation")}
    for user in User.objects.filter(pk__in=recipient_ids, is_active=True):
        notify(recipient=user, kind="message", title=title, body=message.body[:200], url=url, actor=actor, group_key=f"conversation:{conversation.pk}")
        if preference(user, "message") == Delivery.IMMEDIATE:
            _schedule_unread_email(conversation.pk, user.pk)


def _schedule_unread_email(conversation_id: int, user_id: int) -> None:
    """One email per conversation per window: schedule only if none is pending."""
    from messaging.tasks import email_unread_messages

    claimed = Participant.objects.filter(conversation_id=conversation_id, user_id=user_id, email_scheduled=False).update(email_scheduled=True)
    if claimed:
        task = email_unread_messages
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + timedelta(seconds=settings.MESSAGE_EMAIL_DELAY_SECONDS))
        transaction.on_commit(lambda: task.enqueue(conversation_id=conversation_id, user_id=user_id), robust=True)


@transaction.atomic
def message_edit(*, actor: User, message_id, body) -> Message:
    body = _validate_body(body)
    message = _own_message(actor, message_id)
    if message.deleted_at:
        raise Conflict(_("A deleted message cannot be edited."))
    message.body, message.body_html, message.edited_at = body, markdown.render(body), timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    _publish_message("message.updated", message)
    return message


@transaction.atomic
def message_delete(*, actor: User, message_id) -> Message:
    message = _own_message(actor, message_id)
    if message.deleted_at is None:
        message.deleted_at = timezone.now()
        message.body, message.body_html = "", ""
        message.save(update_fields=["deleted_at", "body", "body_html"])
        _publish_message("message.updated", message)
    return message


def _own_message(actor: User, message_id) -> Message:
    try:
        message = Message.objects.select_related("sender").get(pk=int(message_id))
    except (Message.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    # Lock the conversation first, as sends do, so an edit is ordered with them.
    _lock_for_participant(actor, message.conversation_id)
    if message.sender_id != actor.pk:
        raise NotAllowed(_("You can only change your own messages."))
    return message


@transaction.atomic
def conversation_mark_read(*, actor: User, conversation_id, up_to) -> int:
    """Moves the actor's read mark forward to `up_to` (never back); returns the mark."""
    try:
        up_to = int(up_to)
    except (TypeError, ValueError):
        raise ServiceError(_("up_to must be a message id.")) from None
    selectors.conversation_get_visible(user=actor, conversation_id=conversation_id)
    participant = Participant.objects.select_for_update().get(conversation_id=conversation_id, user=actor)
    # Never past the last message: a client cannot pre-read what is not written yet.
    last = Message.objects.filter(conversation_id=conversation_id, id__lte=up_to).order_by("-id").values_list("id", flat=True).first() or 0
    if last > participant.last_read_id:
        participant.last_read_id = last
        participant.save(update_fields=["last_read_id"])
        Notification.objects.filter(recipient=actor, group_key=f"conversation:{conversation_id}", read_at__isnull=True).update(read_at=timezone.now())
        publish_on_commit(
            user_group(actor.pk),
            {"type": "gateway.event", "payload": {"type": "conversation.read", "conversation": int(conversation_id), "up_to": last}},
        )
    return participant.last_read_id


def typing(*, actor: User, conversation_id) -> None:
    """Tells the other participants that `actor` is typing; nothing is stored."""
    conversation = selectors.conversation_get_visible(user=actor, conversation_id=conversation_id)
    participants = selectors.active_participant_aliases(conversation.pk)
    others = [uid for uid in participants if uid != actor.pk]
    user_id, name = aliases.typing_identity(user=actor, alias=participants.get(actor.pk, ""))
    _publish_to_participants(conversation.pk, {"type": "typing", "conversation": conversation.pk, "user": user_id, "name": name}, only=others)


# Blocks and reports


@transaction.atomic
def user_block(*, actor: User, user: User) -> Block:
    if user.pk == actor.pk:
        raise ServiceError(_("You cannot block yourself."))
    block, _created = Block.objects.get_or_create(blocker=actor, blocked=user)
    return block


@transaction.atomic
def user_unblock(*, actor: User, user: User) -> None:
    Block.objects.filter(blocker=actor, blocked=user).delete()


@transaction.atomic
def message_report(*, actor: User, message_id, reason: str) -> Report:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say what is wrong with this message."))
    try:
        message = Message.objects.get(pk=int(message_id))
    except (Message.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    selectors.conversation_get_visible(user=actor, conversation_id=message.conversation_id)
    if message.sender_id == actor.pk:
        raise ServiceError(_("You cannot report your own message."))
    report, created = Report.objects.get_or_create(
        message=message, reporter=actor, defaults={"reason": reason[:2000], "body_snapshot": message.body}
    )
    if not created:
        raise Conflict(_("You have already reported this message."))
    return report


@transaction.atomic
def report_resolve(*, actor: User, report: Report, status: str) -> Report:
    if not (actor.is_active and actor.is_staff and actor.has_perm("messaging.change_report")):
        raise NotAllowed(_("Only moderators handle reports."))
    if status not in (Report.Status.RESOLVED, Report.Status.DISMISSED):
        raise ServiceError(_("Unknown status."))
    Report.objects.filter(pk=report.pk).update(status=status, handled_by=actor, handled_at=timezone.now())
    report.refresh_from_db()
    return report


# Notifications


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Marks the given notifications (all when `ids` is None) of the actor as read."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=timezone.now())
    if count:
        publish_on_commit(user_group(actor.pk), {"type": "gateway.event", "payload": {"type": "notification.read", "ids": ids}})
    return count


@transaction.atomic
def notification_preferences_update(*, actor: User, user: User, preferences: dict[str, str]) -> dict:
    from messaging.notifications import KINDS

    if actor.pk != user.pk:
        raise NotAllowed(_("You can only change your own preferences."))
    clean = {}
    for kind, value in preferences.items():
        if kind not in KINDS or value not in Delivery.values:
            raise ServiceError(_("Unknown notification kind or delivery: %s") % kind)
        clean[kind] = value
    user = User.objects.select_for_update().get(pk=user.pk)
    user.notification_preferences = {**(user.notification_preferences or {}), **clean}
    user.save(update_fields=["notification_preferences"])
    return user.notification_preferences
