"""A working group's meetings: the writes (moderators plan, members answer) and the reads.

Times are entered as wall-clock times in an IANA time zone chosen for the
meeting; they are stored aware (UTC) with that zone's name, so every viewer
sees them in their own zone with the meeting's zone named beside them.
Every change bumps `Meeting.sequence`, the .ics SEQUENCE that lets calendars
replace their copy.
"""

import datetime as dt
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community import permissions as perms
from community.errors import Conflict, NotAllowed, ServiceError
from community.models import User
from messaging import markdown
from workgroups import permissions, selectors
from workgroups.models import Attendance, Meeting, Membership, Workgroup
from workgroups.services import notify_members, touch

EDITABLE = ("title", "starts_at", "ends_at", "time_zone", "place", "link", "agenda")
# Changes that make a calendar's copy wrong, so members hear of them.
MATERIAL = ("title", "starts_at", "ends_at", "place", "link")
MAX_DURATION = dt.timedelta(days=14)
Response = Attendance.Response


@cache
def all_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    if not name or name not in all_time_zones():
        raise ServiceError(
            _("Unknown time zone: %(zone)s.") % {"zone": (name or "")[:64]}, code="time_zone"
        )
    return zoneinfo.ZoneInfo(name)


def to_aware(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A wall-clock time in `zone` (or an aware time) as an aware UTC time.

    A wall time that the zone skips (clocks going forward) is refused rather than guessed.
    """
    if not isinstance(value, dt.datetime):
        raise ServiceError(_("Enter a date and a time."), code="invalid_time")
    if timezone.is_aware(value):
        return value.astimezone(dt.UTC)
    aware = value.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise ServiceError(
            _("%(time)s does not exist in %(zone)s (the clocks change then): choose another time.")
            % {"time": value.strftime("%Y-%m-%d %H:%M"), "zone": zone.key},
            code="invalid_time",
        )
    return aware.astimezone(dt.UTC)


def local(value: dt.datetime, zone_name: str) -> dt.datetime:
    """`value` as a wall-clock time in the zone called `zone_name`."""
    try:
        return value.astimezone(zoneinfo.ZoneInfo(zone_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localtime(value)


def _require(actor: User, perm: str, workgroup: Workgroup, message: str) -> None:
    if not perms.has(actor, perm, workgroup):
        raise NotAllowed(message)


def _clean(meeting: Meeting) -> None:
    meeting.title = (meeting.title or "").strip()
    meeting.place = (meeting.place or "").strip()
    meeting.link = (meeting.link or "").strip()
    meeting.agenda = (meeting.agenda or "").strip()
    if not meeting.title:
        raise ServiceError(_("Give the meeting a title."), code="title")
    if meeting.ends_at <= meeting.starts_at:
        raise ServiceError(_("The meeting must end after it starts."), code="ends_at")
    if meeting.ends_at - meeting.starts_at > MAX_DURATION:
        raise ServiceError(_("A meeting lasts at most 14 days."), code="ends_at")
    if meeting.link:
        try:
            URLValidator(schemes=["http", "https"])(meeting.link)
        except ValidationError:
            raise ServiceError(
                _("The online link must be a web address starting with https:// or http://."),
                code="link",
            ) from None
    meeting.agenda_html = markdown.render(meeting.agenda)
    meeting.full_clean(exclude=["workgroup", "created_by", "agenda_html"])


def when_label(meeting: Meeting) -> str:
    """The start in the meeting's own zone, for notifications: "Tue 12 May 2026, 10:00 (Europe/Lisbon)"."""
    start = local(meeting.starts_at, meeting.time_zone)
    return f"{formats.date_format(start, 'D j M Y, H:i')} ({meeting.time_zone})"


def meeting_url(meeting: Meeting) -> str:
    return reverse(
        "workgroups:meeting-detail",
        kwargs={"slug": meeting.workgroup.slug, "meeting_id": meeting.pk},
    )


def _announce(meeting: Meeting, actor: User, title: str) -> int:
    return notify_members(
        meeting.workgroup,
        kind="workgroup.meeting",
        title=title,
        body=" · ".join(
            part for part in (when_label(meeting), meeting.place, meeting.link) if part
        )[:1000],
        url=meeting_url(meeting),
        actor=actor,
    )


# Writes


@transaction.atomic
def meeting_create(
    *,
    actor: User,
    workgroup: Workgroup,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str = "",
    place: str = "",
    link: str = "",
    agenda: str = "",
) -> Meeting:
    """Plans a meeting; naive times are wall-clock times in `time_zone` (default: the actor's)."""
    _require(
        actor, permissions.MODERATE, workgroup, _("Only the group's moderators plan meetings.")
    )
    zone = zone_of(time_zone or getattr(actor, "time_zone", "") or "UTC")
    meeting = Meeting(
        workgroup=workgroup,
        title=title,
        starts_at=to_aware(starts_at, zone),
        ends_at=to_aware(ends_at, zone),
        time_zone=zone.key,
        place=place,
        link=link,
        agenda=agenda,
        created_by=actor,
    )
    _clean(meeting)
    meeting.save()
    touch(workgroup)
    _announce(
        meeting,
        actor,
        _("New meeting in %(group)s: %(title)s")
        % {"group": workgroup.name, "title": meeting.title[:120]},
    )
    return meeting


@transaction.atomic
def meeting_update(*, actor: User, meeting: Meeting, **changes) -> Meeting:
    """Changes a meeting; a change of time, place, link or title notifies members.

    Naive times are read in the meeting's (possibly new) zone; changing only the
    zone keeps the instants and changes how the meeting names its time.
    """
    workgroup = meeting.workgroup
    _require(
        actor, permissions.MODERATE, workgroup, _("Only the group's moderators change meetings.")
    )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.workgroup = workgroup
    if meeting.cancelled_at is not None:
        raise Conflict(_("This meeting is cancelled; plan a new one instead."), code="cancelled")
    before = {name: getattr(meeting, name) for name in EDITABLE}
    zone = zone_of(changes.get("time_zone") or meeting.time_zone)
    meeting.time_zone = zone.key
    for name in ("title", "place", "link", "agenda"):
        if name in changes and changes[name] is not None:
            setattr(meeting, name, changes[name])
    for name in ("starts_at", "ends_at"):
        if changes.get(name) is not None:
            setattr(meeting, name, to_aware(changes[name], zone))
    _clean(meeting)
    changed = [name for name in EDITABLE if getattr(meeting, name) != before[name]]
    if not changed:
        return meeting
    meeting.sequence += 1
    meeting.save()
    touch(workgroup)
    if set(changed) & set(MATERIAL):
        _announce(
            meeting,
            actor,
            _("Meeting changed in %(group)s: %(title)s")
            % {"group": workgroup.name, "title": meeting.title[:120]},
        )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting) -> Meeting:
    """Cancels a meeting that has not ended; members are told once, calendars by the .ics."""
    workgroup = meeting.workgroup
    _require(
        actor, permissions.MODERATE, workgroup, _("Only the group's moderators cancel meetings.")
    )
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.workgroup = workgroup
    if meeting.cancelled_at is not None:
        return meeting
    if meeting.ends_at <= timezone.now():
        raise Conflict(_("This meeting is over; it can no longer be cancelled."), code="over")
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["cancelled_at", "sequence"])
    _announce(
        meeting,
        actor,
        _("Meeting cancelled in %(group)s: %(title)s")
        % {"group": workgroup.name, "title": meeting.title[:120]},
    )
    return meeting


@transaction.atomic
def attendance_set(*, actor: User, meeting: Meeting, response: str) -> Attendance:
    """An active member says whether they attend; a new answer replaces the old one."""
    _require(
        actor,
        permissions.PARTICIPATE,
        meeting.workgroup,
        _("Only the group's members answer meetings."),
    )
    if response not in Response.values:
        raise ServiceError(_("Answer yes, maybe or no."), code="response")
    meeting = Meeting.objects.select_for_update().get(
        pk=meeting.pk
    )  # its state now, not the caller's copy
    if meeting.cancelled_at is not None:
        raise Conflict(_("This meeting is cancelled."), code="cancelled")
    if meeting.ends_at <= timezone.now():
        raise Conflict(_("This meeting is over."), code="over")
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting, user=actor, defaults={"response": response}
    )
    return attendance


# Reads


def _answers(response: str) -> Coalesce:
    """How many of the group's active members gave `response` (someone who left no longer counts)."""
    answers = (
        Attendance.objects.filter(
            meeting=OuterRef("pk"),
            response=response,
            user__workgroup_memberships__workgroup=OuterRef("workgroup_id"),
            user__workgroup_memberships__status=Membership.Status.ACTIVE,
        )
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(answers, output_field=IntegerField()), Value(0))


def meetings_visible(*, user, workgroup: Workgroup) -> QuerySet[Meeting]:
    """The group's meetings with the answers counted and the viewer's own answer, if `user` reads the content."""
    if not selectors.can_read_content(user, workgroup):
        return Meeting.objects.none()
    mine = Attendance.objects.filter(meeting=OuterRef("pk"), user_id=user.pk).values("response")[:1]
    return (
        Meeting.objects.filter(workgroup=workgroup)
        .select_related("created_by")
        .annotate(
            yes_count=_answers(Response.YES),
            maybe_count=_answers(Response.MAYBE),
            no_count=_answers(Response.NO),
            my_response=Subquery(mine),
        )
    )


def upcoming(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings not yet over (a meeting in progress is still upcoming), soonest first."""
    return qs.filter(ends_at__gt=timezone.now()).order_by("starts_at", "pk")


def past(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.filter(ends_at__lte=timezone.now()).order_by("-starts_at", "-pk")


def meeting_get_visible(*, user, workgroup: Workgroup, meeting_id: int) -> Meeting:
    try:
        meeting = meetings_visible(user=user, workgroup=workgroup).get(pk=meeting_id)
    except Meeting.DoesNotExist:
        raise Http404 from None  # another group's meeting looks missing too
    meeting.workgroup = workgroup
    return meeting


def attendances_of(meeting: Meeting) -> QuerySet[Attendance]:
    """The answers of the group's active members (the caller read the meeting through a selector)."""
    return (
        Attendance.objects.filter(
            meeting=meeting,
            user__workgroup_memberships__workgroup_id=meeting.workgroup_id,
            user__workgroup_memberships__status=Membership.Status.ACTIVE,
        )
        .select_related("user")
        .order_by("user__display_name", "user__email", "pk")
    )


def attendees(meeting: Meeting) -> dict[str, list[User]]:
    """Who answered what, among the group's active members."""
    out: dict[str, list[User]] = {value: [] for value in Response.values}
    for row in attendances_of(meeting):
        out[row.response].append(row.user)
    return out


def is_over(meeting: Meeting) -> bool:
    return meeting.ends_at <= timezone.now()
