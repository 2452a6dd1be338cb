"""Discussions of a working group: threads and their replies, writes and reads.

Who may do what (issue 4, DESIGN.md "Permissions"):

- read: whoever reads the group's content (as `selectors.can_read_content`). A
  hidden thread or reply exists for the group's moderators only; a deleted
  thread exists for nobody. A deleted reply stays in its place, shown as
  deleted, so a thread's pages and the links into them do not shift.
- post (threads, replies) and follow: active members (PARTICIPATE); in a
  locked thread only moderators reply.
- edit: the author, while an active member; in a locked thread only if they
  moderate. Delete: the author; a thread only while nobody else has replied
  (moderators hide it instead), so other people's replies never vanish.
- hide, lock, pin: moderators (MODERATE).

Refusals: what the user may not see raises Http404 (the same as a missing
object), what they see but may not do NotAllowed (403), a state that forbids
the change Conflict (409), bad input ServiceError (400). Every write checks
before it validates input, so an outsider learns nothing from error messages,
and changes nothing when it refuses.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.fields import BooleanField
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions as perms
from community.errors import Conflict, NotAllowed, ServiceError
from community.models import User
from messaging import markdown
from messaging.notifications import notify
from workgroups import permissions, selectors, services
from workgroups.models import Membership, Reply, Thread, ThreadFollow, Workgroup

TITLE_MIN = 3
TITLE_MAX = 200
BODY_MAX = 20_000
THREADS_PER_PAGE = 25
REPLIES_PER_PAGE = 50


# Input


def clean_title(title) -> str:
    if not isinstance(title, str):
        raise ServiceError(_("The title must be text."), code="title")
    if "\x00" in title:
        raise ServiceError(_("The title cannot contain NUL characters."), code="title")
    # A title is one line: line breaks and runs of spaces become one space.
    title = " ".join(title.split())
    if len(title) < TITLE_MIN:
        raise ServiceError(
            _("Give the discussion a title of at least %(n)d characters.") % {"n": TITLE_MIN},
            code="title",
        )
    if len(title) > TITLE_MAX:
        raise ServiceError(
            _("A title holds at most %(n)d characters.") % {"n": TITLE_MAX}, code="title"
        )
    return title


def clean_body(body) -> str:
    if not isinstance(body, str):
        raise ServiceError(_("The message must be text."), code="body")
    if "\x00" in body:
        raise ServiceError(_("The message cannot contain NUL characters."), code="body")
    body = body.strip()
    if not body:
        raise ServiceError(_("Write a message."), code="body")
    if len(body) > BODY_MAX:
        raise ServiceError(
            _("A message holds at most %(n)s characters.") % {"n": f"{BODY_MAX:,}"}, code="body"
        )
    return body


def _flag(value, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ServiceError(_("%(name)s must be true or false.") % {"name": name}, code=name)


# Rules shared by the services, the pages and the API


@dataclass(frozen=True)
class Access:
    """What one user may do in one group's discussions, checked once for a whole page."""

    read: bool
    participate: bool
    moderate: bool


def access_of(user, workgroup: Workgroup) -> Access:
    """The three rights, read once (within a request, one guardian lookup serves them all)."""
    return Access(
        read=selectors.can_read_content(user, workgroup),
        participate=perms.has(user, permissions.PARTICIPATE, workgroup),
        moderate=perms.has(user, permissions.MODERATE, workgroup),
    )


def _thread_exists_for(access: Access, thread: Thread) -> bool:
    if thread.deleted_at is not None or not access.read:
        return False
    return access.moderate or not thread.hidden


def may_edit(user, post: Thread | Reply, thread: Thread, access: Access) -> bool:
    """Whether `user` may edit `post` (the thread itself or one of its replies)."""
    return (
        post.author_id == user.pk
        and post.deleted_at is None
        and access.participate
        and (access.moderate or not thread.locked)
    )


def may_delete(user, post: Thread | Reply) -> bool:
    return post.author_id == user.pk and post.deleted_at is None


def _check_edit(actor, post: Thread | Reply, thread: Thread, access: Access) -> None:
    if post.deleted_at is not None:
        raise Conflict(_("A deleted post cannot be edited."), code="deleted")
    if post.author_id != actor.pk:
        raise NotAllowed(_("Only the author can edit this post."))
    if not access.participate:
        raise NotAllowed(_("Only members of the group can edit their posts."))
    if thread.locked and not access.moderate:
        raise Conflict(
            _("This discussion is locked: its posts can no longer be changed."), code="locked"
        )


def check_can_post(*, actor, workgroup: Workgroup, access: Access | None = None) -> None:
    """Raises what `thread_create` would refuse with, before any input is read."""
    access = access or access_of(actor, workgroup)
    if not access.read:
        raise Http404
    if not access.participate:
        raise NotAllowed(_("Only members of the group can start discussions."))


def check_can_reply(*, actor, thread: Thread, access: Access | None = None) -> None:
    """Raises what `reply_create` would refuse with; `thread` is one `actor` sees."""
    access = access or access_of(actor, thread.workgroup)
    if not access.participate:
        raise NotAllowed(_("Only members of the group can reply."))
    if thread.locked and not access.moderate:
        raise Conflict(_("This discussion is locked: it takes no new replies."), code="locked")


def thread_check_edit(*, actor, thread: Thread, access: Access | None = None) -> None:
    """Raises what `thread_edit` would refuse with, so a page can refuse before showing a form."""
    _check_edit(actor, thread, thread, access or access_of(actor, thread.workgroup))


def reply_check_edit(*, actor, reply: Reply, access: Access | None = None) -> None:
    _check_edit(actor, reply, reply.thread, access or access_of(actor, reply.thread.workgroup))


def thread_url(thread: Thread) -> str:
    return reverse(
        "workgroups:thread", kwargs={"slug": thread.workgroup.slug, "thread_id": thread.pk}
    )


def reply_url(reply: Reply) -> str:
    """A stable link to one reply: it redirects to the page that holds it."""
    thread = reply.thread
    return reverse(
        "workgroups:reply",
        kwargs={"slug": thread.workgroup.slug, "thread_id": thread.pk, "reply_id": reply.pk},
    )


def _excerpt(text: str, length: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# Locks


def _lock_thread(actor, thread: Thread) -> tuple[Thread, Access]:
    """`thread` re-read under its row lock, with `actor`'s rights; 404 unless `actor` may see it."""
    try:
        locked = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("workgroup")
            .get(pk=thread.pk)
        )
    except Thread.DoesNotExist:
        raise Http404 from None
    access = access_of(actor, locked.workgroup)
    if not _thread_exists_for(access, locked):
        raise Http404
    return locked, access


def _lock_reply(actor, reply: Reply) -> tuple[Reply, Access]:
    """`reply` re-read under a lock of its thread (a thread's replies change one at a time)."""
    thread, access = _lock_thread(actor, reply.thread)
    try:
        locked = Reply.objects.select_for_update(of=("self",)).get(pk=reply.pk, thread=thread)
    except Reply.DoesNotExist:
        raise Http404 from None
    if locked.hidden and not access.moderate:
        raise Http404
    locked.thread = thread
    return locked, access


def _recount(thread: Thread, **changes) -> None:
    """Stores the number of live replies (neither deleted nor hidden). Caller holds the thread's lock."""
    live = Reply.objects.filter(thread=thread, deleted_at__isnull=True, hidden=False).count()
    Thread.objects.filter(pk=thread.pk).update(reply_count=live, **changes)
    thread.reply_count = live
    for name, value in changes.items():
        setattr(thread, name, value)


def _follow(thread: Thread, user) -> None:
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(thread=thread, user=user)], ignore_conflicts=True
    )


# Writes


@transaction.atomic
def thread_create(*, actor: User, workgroup: Workgroup, title: str, body: str) -> Thread:
    """Starts a discussion; its author follows it, every other active member is notified."""
    check_can_post(actor=actor, workgroup=workgroup)
    title, body = clean_title(title), clean_body(body)
    now = timezone.now()
    thread = Thread.objects.create(
        workgroup=workgroup,
        author=actor,
        title=title,
        body=body,
        body_html=markdown.render(body),
        created_at=now,
        last_activity_at=now,
    )
    _follow(thread, actor)
    services.touch(workgroup)
    services.notify_members(
        workgroup,
        kind="workgroup.thread",
        title=_("%(name)s started a discussion in %(group)s: %(title)s")
        % {"name": actor, "group": workgroup.name, "title": title},
        body=_excerpt(body),
        url=thread_url(thread),
        actor=actor,
    )
    return thread


@transaction.atomic
def reply_create(*, actor: User, thread: Thread, body: str) -> Reply:
    """Replies in a thread; the replier follows it, the other followers who are still members are notified."""
    thread, access = _lock_thread(actor, thread)
    workgroup = thread.workgroup
    check_can_reply(actor=actor, thread=thread, access=access)
    body = clean_body(body)
    now = timezone.now()
    reply = Reply.objects.create(
        thread=thread, author=actor, body=body, body_html=markdown.render(body), created_at=now
    )
    reply.thread = thread
    _recount(thread, last_activity_at=now)
    _follow(thread, actor)
    services.touch(workgroup)
    _notify_followers(thread, reply, actor)
    return reply


def _notify_followers(thread: Thread, reply: Reply, actor: User) -> int:
    """Followers who may still read the thread: active members (moderators only, for a hidden thread)."""
    members = Membership.objects.filter(
        workgroup_id=thread.workgroup_id, status=Membership.Status.ACTIVE
    )
    if thread.hidden:
        members = members.filter(role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR])
    followers = ThreadFollow.objects.filter(thread=thread).exclude(user_id=actor.pk)
    recipients = User.objects.filter(pk__in=followers.values("user_id"), is_active=True).filter(
        pk__in=members.values("user_id")
    )
    title = _("%(name)s replied in %(title)s") % {"name": actor, "title": thread.title}
    sent = 0
    for user in recipients:
        notification = notify(
            recipient=user,
            kind="workgroup.reply",
            title=title,
            body=_excerpt(reply.body),
            url=reply_url(reply),
            actor=actor,
            # One unread line per thread, refreshed by each reply, not one per reply.
            group_key=f"workgroup.thread.{thread.pk}",
        )
        sent += notification is not None
    return sent


@transaction.atomic
def thread_edit(
    *, actor: User, thread: Thread, title: str | None = None, body: str | None = None
) -> Thread:
    thread, access = _lock_thread(actor, thread)
    _check_edit(actor, thread, thread, access)
    fields = []
    new_title = clean_title(title) if title is not None else None
    new_body = clean_body(body) if body is not None else None
    if new_title is not None and new_title != thread.title:
        thread.title = new_title
        fields.append("title")
    if new_body is not None and new_body != thread.body:
        thread.body, thread.body_html = new_body, markdown.render(new_body)
        fields += ["body", "body_html"]
    if fields:
        thread.edited_at = timezone.now()
        thread.save(update_fields=[*fields, "edited_at"])
    return thread


@transaction.atomic
def reply_edit(*, actor: User, reply: Reply, body: str) -> Reply:
    reply, access = _lock_reply(actor, reply)
    _check_edit(actor, reply, reply.thread, access)
    body = clean_body(body)
    if body != reply.body:
        reply.body, reply.body_html, reply.edited_at = body, markdown.render(body), timezone.now()
        reply.save(update_fields=["body", "body_html", "edited_at"])
    return reply


@transaction.atomic
def thread_delete(*, actor: User, thread: Thread) -> Thread:
    """The author deletes their discussion while nobody else has replied; the row stays, empty."""
    thread, _access = _lock_thread(actor, thread)
    if thread.author_id != actor.pk:
        raise NotAllowed(_("Only the author can delete this discussion."))
    others = Reply.objects.filter(thread=thread, deleted_at__isnull=True).exclude(
        author_id=actor.pk
    )
    if others.exists():
        raise Conflict(
            _(
                "Other members have replied: you can edit your message, and a moderator can hide the discussion."
            ),
            code="has_replies",
        )
    thread.deleted_at = timezone.now()
    thread.body = thread.body_html = ""
    thread.pinned = False
    thread.save(update_fields=["deleted_at", "body", "body_html", "pinned"])
    return thread


@transaction.atomic
def reply_delete(*, actor: User, reply: Reply) -> Reply:
    """The author deletes their reply; it stays in place, shown as deleted."""
    reply, _access = _lock_reply(actor, reply)
    if reply.author_id != actor.pk:
        raise NotAllowed(_("Only the author can delete this reply."))
    if reply.deleted_at is None:
        reply.deleted_at = timezone.now()
        reply.body = reply.body_html = ""
        reply.save(update_fields=["deleted_at", "body", "body_html"])
        _recount(reply.thread)
    return reply


@transaction.atomic
def thread_moderate(
    *,
    actor: User,
    thread: Thread,
    hidden: bool | None = None,
    locked: bool | None = None,
    pinned: bool | None = None,
) -> Thread:
    """Hides, locks or pins a thread (None leaves a flag as it is)."""
    thread, access = _lock_thread(actor, thread)
    if not access.moderate:
        raise NotAllowed(_("Only the group's moderators hide, lock and pin discussions."))
    wanted = {
        "hidden": _flag(hidden, "hidden"),
        "locked": _flag(locked, "locked"),
        "pinned": _flag(pinned, "pinned"),
    }
    fields = [
        name
        for name, value in wanted.items()
        if value is not None and getattr(thread, name) != value
    ]
    for name in fields:
        setattr(thread, name, wanted[name])
    if fields:
        thread.save(update_fields=fields)
    return thread


@transaction.atomic
def reply_hide(*, actor: User, reply: Reply, hidden: bool = True) -> Reply:
    reply, access = _lock_reply(actor, reply)
    if not access.moderate:
        raise NotAllowed(_("Only the group's moderators hide replies."))
    hidden = bool(_flag(hidden, "hidden"))
    if reply.hidden != hidden:
        reply.hidden = hidden
        reply.save(update_fields=["hidden"])
        _recount(reply.thread)
    return reply


@transaction.atomic
def thread_follow(*, actor: User, thread: Thread) -> None:
    thread, access = _lock_thread(actor, thread)
    if not access.participate:
        raise NotAllowed(_("Only members of the group can follow its discussions."))
    _follow(thread, actor)


@transaction.atomic
def thread_unfollow(*, actor: User, thread: Thread) -> None:
    thread, _access = _lock_thread(actor, thread)
    ThreadFollow.objects.filter(thread=thread, user=actor).delete()


# Reads


def _with_following(qs: QuerySet[Thread], user) -> QuerySet[Thread]:
    if not user.is_authenticated:
        return qs.annotate(following=Value(False, output_field=BooleanField()))
    return qs.annotate(
        following=Exists(ThreadFollow.objects.filter(thread=OuterRef("pk"), user=user))
    )


def threads_visible(
    *, user, workgroup: Workgroup, access: Access | None = None
) -> QuerySet[Thread]:
    """The group's discussions `user` may read: pinned first, then by last activity.

    Each carries `following` (whether `user` follows it) and its author. `access`,
    when the caller already has it, is `access_of(user, workgroup)`.
    """
    access = access or access_of(user, workgroup)
    if not access.read:
        return Thread.objects.none()
    qs = Thread.objects.filter(workgroup=workgroup, deleted_at__isnull=True)
    if not access.moderate:
        qs = qs.filter(hidden=False)
    return (
        _with_following(qs, user)
        .select_related("author")
        .order_by("-pinned", "-last_activity_at", "-pk")
    )


def thread_get_visible(
    *, user, workgroup: Workgroup, thread_id, access: Access | None = None
) -> Thread:
    try:
        thread = threads_visible(user=user, workgroup=workgroup, access=access).get(
            pk=int(thread_id)
        )
    except (Thread.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    thread.workgroup = workgroup
    return thread


def replies_visible(*, user, thread: Thread, access: Access | None = None) -> QuerySet[Reply]:
    """The thread's replies `user` may see, oldest first: deleted ones stay (shown as deleted),
    hidden ones only for moderators."""
    access = access or access_of(user, thread.workgroup)
    if not access.read or thread.deleted_at is not None or (thread.hidden and not access.moderate):
        return Reply.objects.none()
    qs = Reply.objects.filter(thread=thread)
    if not access.moderate:
        qs = qs.filter(hidden=False)
    return qs.select_related("author").order_by("pk")


def reply_get_visible(*, user, thread: Thread, reply_id, access: Access | None = None) -> Reply:
    try:
        reply = replies_visible(user=user, thread=thread, access=access).get(pk=int(reply_id))
    except (Reply.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    reply.thread = thread
    return reply


def reply_page_number(*, user, reply: Reply, access: Access | None = None) -> int:
    """The page of its thread that shows `reply` to `user`."""
    before = (
        replies_visible(user=user, thread=reply.thread, access=access)
        .filter(pk__lt=reply.pk)
        .count()
    )
    return before // REPLIES_PER_PAGE + 1
