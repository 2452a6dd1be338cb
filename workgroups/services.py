"""Every write to working groups and their memberships.

Each change of role or status goes through `_apply`, which makes three things
agree with the membership row in the same transaction: the guardian
permissions, the group's chat participants (messaging) and the member count.
A removed member therefore loses the content, the documents and the chat
events at once, on every path.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import permissions as perms
from community.errors import Conflict, NotAllowed, ServiceError
from community.mail import email_address_on_commit
from community.models import Field, Organisation, User
from community.text import fold, normalise_name
from messaging import markdown
from messaging import services as messaging
from messaging.notifications import notify
from workgroups import permissions, selectors
from workgroups.models import EmailInvitation, Membership, Workgroup

Role, Status, V, J = Membership.Role, Membership.Status, Workgroup.Visibility, Workgroup.JoinPolicy
EDITABLE = ("name", "description", "visibility", "join_policy")


def _require(actor: User, perm: str, workgroup: Workgroup, message: str) -> None:
    if not perms.has(actor, perm, workgroup):
        raise NotAllowed(message)


def _unique_slug(name: str) -> str:
    base = slugify(fold(name))[:100].strip("-") or "group"
    candidate, n = base, 1
    while Workgroup.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _index(workgroup: Workgroup) -> None:
    parts = [workgroup.name, workgroup.description, *workgroup.fields.values_list("name", flat=True)]
    Workgroup.objects.filter(pk=workgroup.pk).update(search_document=normalise_name(" ".join(parts)))


def _apply(membership: Membership) -> None:
    """Makes permissions, chat participants and the member count follow `membership`.

    Caller holds the group's row lock.
    """
    workgroup = membership.workgroup
    wanted = set(permissions.perms_for(membership))
    perms.revoke(membership.user, set(permissions.ALL) - wanted, workgroup)
    perms.grant(membership.user, wanted, workgroup)
    _sync_group(workgroup)


def _sync_group(workgroup: Workgroup) -> None:
    active = selectors.active_member_ids(workgroup.pk)
    Workgroup.objects.filter(pk=workgroup.pk).update(member_count=len(active))
    if workgroup.conversation_id:
        messaging.workgroup_conversation_sync(conversation_id=workgroup.conversation_id, user_ids=active)


def _lock(workgroup: Workgroup) -> Workgroup:
    return Workgroup.objects.select_for_update().get(pk=workgroup.pk)


def _owner_count(workgroup: Workgroup) -> int:
    return Membership.objects.filter(workgroup=workgroup, role=Role.OWNER, status=Status.ACTIVE).count()


def _url(workgroup: Workgroup, name: str = "workgroups:detail") -> str:
    return reverse(name, kwargs={"slug": workgroup.slug})


# Groups


@transaction.atomic
def workgroup_create(
    *,
    creator: User,
    name: str,
    description: str = "",
    visibility: str = V.MEMBERS,
    join_policy: str = J.REQUEST,
    fields: list[Field] | None = None,
    organisations: list[Organisation] | None = None,
) -> Workgroup:
    """Creates a group; its creator is its first owner and the first participant of its chat."""
    if not creator.is_authenticated or not creator.is_active:
        raise NotAllowed(_("Sign in to create a working group."))
    name = (name or "").strip()
    if len(name) < 3:
        raise ServiceError(_("Give the group a name of at least 3 characters."))
    if visibility not in V.values or join_policy not in J.values:
        raise ServiceError(_("Unknown visibility or join policy."))
    if visibility == V.SECRET and join_policy != J.INVITE:
        # Nobody outside can see a secret group, so nobody outside can ask to join it.
        join_policy = J.INVITE
    workgroup = Workgroup(
        name=name[:160],
        slug=_unique_slug(name),
        description=(description or "").strip(),
        visibility=visibility,
        join_policy=join_policy,
        created_by=creator,
    )
    workgroup.description_html = markdown.render(workgroup.description)
    workgroup.full_clean(exclude=["slug", "conversation"])
    workgroup.conversation = messaging.workgroup_conversation_create(title=name[:120], user_ids=[creator.pk])
    workgroup.save()
    workgroup.fields.set(fields or [])
    workgroup.organisations.set(organisations or [])
    membership = Membership.objects.create(workgroup=workgroup, user=creator, role=Role.OWNER, status=Status.ACTIVE)
    _apply(membership)
    _index(workgroup)
    workgroup.refresh_from_db()
    return workgroup


@transaction.atomic
def workgroup_update(
    *, actor: User, workgroup: Workgroup, fields: list[Field] | None = None, organisations: list[Organisation] | None = None, **changes
) -> Workgroup:
    _require(actor, permissions.MANAGE, workgroup, _("Only the group's owners can change it."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    workgroup = _lock(workgroup)
    for name, value in changes.items():
        setattr(workgroup, name, value.strip() if isinstance(value, str) and name in ("name", "description") else value)
    if workgroup.visibility == V.SECRET:
        workgroup.join_policy = J.INVITE
    workgroup.description_html = markdown.render(workgroup.description)
    workgroup.full_clean(exclude=["conversation"])
    workgroup.save()
    if fields is not None:
        workgroup.fields.set(fields)
    if organisations is not None:
        workgroup.organisations.set(organisations)
    if "visibility" in changes and workgroup.visibility == V.SECRET:
        # Nobody outside may wait at a door they can no longer see.
        pending = Membership.objects.filter(workgroup=workgroup, status=Status.PENDING)
        pending.delete()
    _index(workgroup)
    return workgroup


# Joining and leaving


@transaction.atomic
def workgroup_join(*, actor: User, workgroup: Workgroup, message: str = "") -> Membership:
    """Joins an open group, asks to join one on request, or accepts an invitation.

    Returns the membership: active, or pending for a request.
    """
    if not actor.is_authenticated or not actor.is_active:
        raise NotAllowed(_("Sign in to join a working group."))
    workgroup = _lock(workgroup)
    membership = Membership.objects.filter(workgroup=workgroup, user=actor).first()
    if membership is not None and membership.status == Status.ACTIVE:
        return membership
    if membership is not None and membership.status == Status.INVITED:
        membership.status = Status.ACTIVE
        membership.save(update_fields=["status", "updated_at"])
        _apply(membership)
        _notify_moderators(workgroup, kind="workgroup.joined", title=_("%(name)s joined %(group)s") % {"name": actor, "group": workgroup.name}, actor=actor)
        return membership
    if membership is not None and membership.status == Status.PENDING:
        return membership
    if workgroup.visibility == V.SECRET:
        from django.http import Http404

        raise Http404  # a secret group does not exist for those not invited
    if workgroup.join_policy == J.INVITE:
        raise NotAllowed(_("This group accepts members by invitation only."))
    if workgroup.join_policy == J.OPEN:
        membership = Membership.objects.create(workgroup=workgroup, user=actor, role=Role.MEMBER, status=Status.ACTIVE)
        _apply(membership)
        return membership
    membership = Membership.objects.create(
        workgroup=workgroup, user=actor, role=Role.MEMBER, status=Status.PENDING, request_message=(message or "")[:1000]
    )
    _notify_moderators(
        workgroup,
        kind="workgroup.join_request",
        title=_("%(name)s asks to join %(group)s") % {"name": actor, "group": workgroup.name},
        body=membership.request_message,
        url=_url(workgroup, "workgroups:members"),
        actor=actor,
    )
    return membership


@transaction.atomic
def workgroup_leave(*, actor: User, workgroup: Workgroup) -> None:
    workgroup = _lock(workgroup)
    membership = Membership.objects.filter(workgroup=workgroup, user=actor).first()
    if membership is None:
        raise ServiceError(_("You are not in this group."), code="not_member")
    if membership.role == Role.OWNER and membership.status == Status.ACTIVE and _owner_count(workgroup) == 1:
        raise Conflict(_("A group keeps at least one owner: make someone else an owner first."))
    membership.delete()
    membership.status = "left"  # holds no permission any more
    _apply(membership)


# Moderation of members


def _membership(workgroup: Workgroup, user_id: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(workgroup=workgroup, user_id=user_id).first()
    if membership is None:
        raise ServiceError(_("This person is not in the group."), code="not_member")
    membership.workgroup = workgroup
    return membership


@transaction.atomic
def membership_approve(*, actor: User, workgroup: Workgroup, user_id: int) -> Membership:
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators decide who joins."))
    workgroup = _lock(workgroup)
    membership = _membership(workgroup, user_id)
    if membership.status != Status.PENDING:
        raise Conflict(_("There is no request from this person to approve."))
    membership.status = Status.ACTIVE
    membership.save(update_fields=["status", "updated_at"])
    _apply(membership)
    notify(
        recipient=membership.user,
        kind="workgroup.approved",
        title=_("You are now a member of %(group)s") % {"group": workgroup.name},
        url=_url(workgroup),
        actor=actor,
    )
    return membership


@transaction.atomic
def membership_decline(*, actor: User, workgroup: Workgroup, user_id: int) -> None:
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators decide who joins."))
    workgroup = _lock(workgroup)
    membership = _membership(workgroup, user_id)
    if membership.status != Status.PENDING:
        raise Conflict(_("There is no request from this person to decline."))
    membership.delete()


@transaction.atomic
def membership_remove(*, actor: User, workgroup: Workgroup, user_id: int) -> None:
    """A moderator removes a member, a request or an invitation; owners are removed by owners."""
    if actor.pk == user_id:
        return workgroup_leave(actor=actor, workgroup=workgroup)
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators remove members."))
    workgroup = _lock(workgroup)
    membership = _membership(workgroup, user_id)
    if membership.role in (Role.OWNER, Role.MODERATOR) and not perms.has(actor, permissions.MANAGE, workgroup):
        raise NotAllowed(_("Only owners remove moderators and owners."))
    if membership.role == Role.OWNER and membership.status == Status.ACTIVE and _owner_count(workgroup) == 1:
        raise Conflict(_("A group keeps at least one owner."))
    membership.delete()
    membership.status = "removed"
    _apply(membership)
    return None


@transaction.atomic
def membership_set_role(*, actor: User, workgroup: Workgroup, user_id: int, role: str) -> Membership:
    _require(actor, permissions.MANAGE, workgroup, _("Only the group's owners change roles."))
    if role not in Role.values:
        raise ServiceError(_("Unknown role."))
    workgroup = _lock(workgroup)
    membership = _membership(workgroup, user_id)
    if membership.status != Status.ACTIVE:
        raise Conflict(_("Only active members have roles."))
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(workgroup) == 1:
        raise Conflict(_("A group keeps at least one owner: make someone else an owner first."))
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _apply(membership)
    return membership


# Invitations


@transaction.atomic
def invite_user(*, actor: User, workgroup: Workgroup, user: User) -> Membership:
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators invite people."))
    if not user.is_active:
        raise ServiceError(_("This account is not active."))
    workgroup = _lock(workgroup)
    membership = Membership.objects.filter(workgroup=workgroup, user=user).first()
    if membership is not None and membership.status in (Status.ACTIVE, Status.INVITED):
        raise Conflict(_("%(user)s is already a member or invited.") % {"user": user}, code="already_member")
    if membership is not None:  # a pending request: the invitation answers it
        membership.status = Status.ACTIVE
        membership.invited_by = actor
        membership.save(update_fields=["status", "invited_by", "updated_at"])
        _apply(membership)
        return membership
    membership = Membership.objects.create(workgroup=workgroup, user=user, status=Status.INVITED, invited_by=actor)
    notify(
        recipient=user,
        kind="workgroup.invitation",
        title=_("%(name)s invites you to %(group)s") % {"name": actor, "group": workgroup.name},
        url=_url(workgroup),
        actor=actor,
    )
    return membership


@transaction.atomic
def invite_email(*, actor: User, workgroup: Workgroup, email: str) -> Membership | EmailInvitation:
    """Invites by email: a member is invited directly, anyone else gets a link that sign-up completes."""
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators invite people."))
    email = (email or "").strip().lower()
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except Exception:
        raise ServiceError(_("Enter a valid email address.")) from None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return invite_user(actor=actor, workgroup=workgroup, user=existing)
    try:
        with transaction.atomic():
            invitation = EmailInvitation.objects.create(
                workgroup=workgroup, email=email, token=secrets.token_urlsafe(32), invited_by=actor
            )
    except IntegrityError:
        raise Conflict(_("This address is already invited."), code="already_invited") from None
    link = settings.WAGTAILADMIN_BASE_URL + reverse("workgroups:invitation", kwargs={"token": invitation.token})
    email_address_on_commit(
        email,
        language=actor.language,
        template="workgroups/email/invitation",
        context={"workgroup": workgroup, "inviter": actor, "link": link},
    )
    return invitation


@transaction.atomic
def invitations_complete(*, user: User) -> int:
    """Turns open email invitations for `user`'s verified address into invitations to accept.

    Called when an address is confirmed; returns how many groups invited them.
    """
    done = 0
    for invitation in EmailInvitation.objects.select_for_update().filter(email__iexact=user.email, accepted_at__isnull=True):
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        Membership.objects.get_or_create(
            workgroup=invitation.workgroup,
            user=user,
            defaults={"status": Status.INVITED, "invited_by": invitation.invited_by},
        )
        done += 1
    return done


# Notifications


def _notify_moderators(workgroup: Workgroup, *, kind: str, title: str, body: str = "", url: str = "", actor=None) -> None:
    for user in User.objects.filter(pk__in=selectors.moderator_ids(workgroup.pk), is_active=True).exclude(pk=getattr(actor, "pk", None)):
        notify(recipient=user, kind=kind, title=title, body=body, url=url or _url(workgroup), actor=actor)


def notify_members(workgroup: Workgroup, *, kind: str, title: str, body: str = "", url: str = "", actor=None, exclude: set[int] | None = None) -> int:
    """Notifies every active member (minus `exclude` and the actor); returns how many."""
    exclude = set(exclude or ())
    if actor is not None:
        exclude.add(actor.pk)
    ids = [uid for uid in selectors.active_member_ids(workgroup.pk) if uid not in exclude]
    count = 0
    for user in User.objects.filter(pk__in=ids, is_active=True):
        if notify(recipient=user, kind=kind, title=title, body=body, url=url or _url(workgroup), actor=actor):
            count += 1
    return count


@transaction.atomic
def announcement_send(*, actor: User, workgroup: Workgroup, title: str, body: str) -> int:
    _require(actor, permissions.MODERATE, workgroup, _("Only the group's moderators make announcements."))
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("An announcement needs a title."))
    return notify_members(
        workgroup,
        kind="workgroup.announcement",
        title=_("%(group)s: %(title)s") % {"group": workgroup.name, "title": title[:150]},
        body=(body or "").strip()[:1000],
        actor=actor,
    )


def touch(workgroup: Workgroup) -> None:
    Workgroup.objects.filter(pk=workgroup.pk).update(last_activity_at=timezone.now())

