"""Meetings: who may see, plan, change, cancel and answer them; time zones; the .ics files; notifications."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.errors import Conflict, NotAllowed, ServiceError
from messaging.models import Notification
from tests.factories import UserFactory
from tests.workgroups.helpers import ROLES, group_with_cast
from workgroups import ics, meetings, services
from workgroups.models import Attendance, Meeting

pytestmark = pytest.mark.django_db

VISIBILITIES = ("public", "members", "secret")
ALL_ROLES = (*ROLES, "anonymous")
ACTIVE = {"owner", "moderator", "member"}
MODERATORS = {"owner", "moderator"}
LISBON, BERLIN = zoneinfo.ZoneInfo("Europe/Lisbon"), zoneinfo.ZoneInfo("Europe/Berlin")


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


def reads(visibility: str, role: str) -> bool:
    return role != "anonymous" and (visibility == "public" or role in ACTIVE)


def in_days(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A naive wall-clock time `days` from today."""
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def plan(cast, *, title="Steering committee", days=7, zone="Europe/Lisbon", **extra) -> Meeting:
    values = {
        "place": "Room 2, Biopôle, Lyon",
        "link": "https://meet.example.org/steering",
        "agenda": "1. Budget\n2. Roadmap",
    }
    values.update(extra)
    return meetings.meeting_create(
        actor=cast.moderator,
        workgroup=cast.workgroup,
        title=title,
        starts_at=in_days(days, 10),
        ends_at=in_days(days, 11, 30),
        time_zone=zone,
        **values,
    )


def parse_ics(text: str) -> list[dict[str, str]]:
    """Unfolds and splits an iCalendar file: one dict per VEVENT (and one for the VCALENDAR)."""
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
        assert "\n" not in line and "\r" not in line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    components, stack = [], []
    for line in logical:
        name, _sep, value = line.partition(":")
        if name == "BEGIN":
            stack.append({"_type": value})
        elif name == "END":
            assert stack[-1]["_type"] == value
            components.append(stack.pop())
        else:
            stack[-1][name] = value
    assert not stack
    return components


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def events(text: str) -> list[dict[str, str]]:
    return [c for c in parse_ics(text) if c["_type"] == "VEVENT"]


# The denial grid


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_html_grid(client, visibility, role):
    cast = group_with_cast(visibility)
    meeting = plan(cast)
    doomed = plan(cast, title="To cancel", days=9)
    user = None if role == "anonymous" else cast[role]
    if user is not None:
        client.force_login(user)
    base = f"/groups/{cast.workgroup.slug}/meetings/"
    can_read = reads(visibility, role)

    def expect(response, allowed_status):
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif not can_read:
            assert response.status_code == 404
        else:
            assert response.status_code == allowed_status, (role, visibility, response.status_code)

    expect(client.get(base), 200)
    expect(client.get(f"{base}{meeting.pk}/"), 200)
    single = client.get(f"{base}{meeting.pk}/meeting.ics")
    expect(single, 200)
    feed = client.get(f"{base}calendar.ics")
    expect(feed, 200)
    if can_read:
        assert single["Content-Type"].startswith("text/calendar")
        assert len(events(feed.content.decode())) == 2

    moderates, participates = role in MODERATORS, role in ACTIVE
    form = {
        "title": "Kick-off",
        "starts_at": in_days(5, 9).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": in_days(5, 10).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Europe/Berlin",
        "place": "",
        "link": "https://meet.example.org/kick-off",
        "agenda": "",
    }
    expect(client.get(f"{base}new/"), 200 if moderates else 403)
    expect(client.post(f"{base}new/", form), 302 if moderates else 403)
    assert Meeting.objects.filter(title="Kick-off").exists() == (moderates and can_read)

    expect(client.get(f"{base}{meeting.pk}/edit/"), 200 if moderates else 403)
    expect(
        client.post(f"{base}{meeting.pk}/edit/", {**form, "title": "Steering committee (moved)"}),
        302 if moderates else 403,
    )
    meeting.refresh_from_db()
    assert (meeting.title == "Steering committee (moved)") == (moderates and can_read)

    expect(
        client.post(f"{base}{meeting.pk}/attendance/", {"response": "yes"}),
        302 if participates else 403,
    )
    assert Attendance.objects.filter(meeting=meeting, user=user).exists() == (
        participates and can_read
    )

    expect(client.get(f"{base}{doomed.pk}/cancel/"), 200 if moderates else 403)
    expect(client.post(f"{base}{doomed.pk}/cancel/"), 302 if moderates else 403)
    doomed.refresh_from_db()
    assert (doomed.cancelled_at is not None) == (moderates and can_read)


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_api_grid(visibility, role):
    cast = group_with_cast(visibility)
    meeting = plan(cast)
    doomed = plan(cast, title="To cancel", days=9)
    user = None if role == "anonymous" else cast[role]
    api = api_as(user)
    base = f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/"
    can_read = reads(visibility, role)

    def expect(response, allowed_status):
        if role == "anonymous":
            assert response.status_code == 401
        elif not can_read:
            assert response.status_code == 404
        else:
            assert response.status_code == allowed_status, (
                role,
                visibility,
                response.status_code,
                getattr(response, "data", None),
            )

    listing = api.get(base)
    expect(listing, 200)
    if can_read:
        assert listing.json()["count"] == 2 and set(listing.json()) == {
            "count",
            "next",
            "previous",
            "results",
        }
    expect(api.get(f"{base}{meeting.pk}/"), 200)
    expect(api.get(f"{base}{meeting.pk}/ics/"), 200)
    expect(api.get(f"{base}ics/"), 200)
    expect(api.get(f"{base}{meeting.pk}/attendance/"), 200)

    moderates, participates = role in MODERATORS, role in ACTIVE
    new = {
        "title": "Kick-off",
        "starts_at": in_days(5, 9).isoformat(),
        "ends_at": in_days(5, 10).isoformat(),
        "time_zone": "Europe/Berlin",
    }
    expect(api.post(base, new, format="json"), 201 if moderates else 403)
    expect(
        api.patch(f"{base}{meeting.pk}/", {"place": "Room 3"}, format="json"),
        200 if moderates else 403,
    )
    answer = api.post(f"{base}{meeting.pk}/attendance/", {"response": "maybe"}, format="json")
    expect(answer, 200 if participates else 403)
    if participates and can_read:
        assert answer.json()["my_response"] == "maybe" and answer.json()["answers"]["maybe"] == 1
    expect(api.post(f"{base}{doomed.pk}/cancel/"), 200 if moderates else 403)


def test_a_meeting_of_another_group_is_404(client):
    mine, theirs = group_with_cast("members"), group_with_cast("public")
    meeting = plan(theirs)
    client.force_login(mine.owner)
    assert client.get(f"/groups/{mine.workgroup.slug}/meetings/{meeting.pk}/").status_code == 404
    assert (
        client.get(f"/groups/{mine.workgroup.slug}/meetings/{meeting.pk}/meeting.ics").status_code
        == 404
    )
    assert (
        client.post(f"/groups/{mine.workgroup.slug}/meetings/{meeting.pk}/cancel/").status_code
        == 404
    )
    assert (
        api_as(mine.owner)
        .get(f"/api/v1/workgroups/{mine.workgroup.slug}/meetings/{meeting.pk}/")
        .status_code
        == 404
    )


def test_services_refuse_who_may_not(client):
    cast = group_with_cast("public")
    meeting = plan(cast)
    with pytest.raises(NotAllowed):
        meetings.meeting_create(
            actor=cast.member,
            workgroup=cast.workgroup,
            title="x",
            starts_at=in_days(3),
            ends_at=in_days(3, 11),
            time_zone="UTC",
        )
    with pytest.raises(NotAllowed):
        meetings.meeting_update(actor=cast.member, meeting=meeting, title="Mine now")
    with pytest.raises(NotAllowed):
        meetings.meeting_cancel(actor=cast.member, meeting=meeting)
    for role in ("outsider", "pending", "invited", "removed"):
        with pytest.raises(NotAllowed):
            meetings.attendance_set(actor=cast[role], meeting=meeting, response="yes")


# Time zones


def test_a_meeting_at_10_in_lisbon_is_11_for_a_viewer_in_berlin(client):
    cast = group_with_cast("members")
    cast.member.time_zone = "Europe/Berlin"
    cast.member.save(update_fields=["time_zone"])
    meeting = plan(cast, zone="Europe/Lisbon")
    start = in_days(7, 10).replace(tzinfo=LISBON)
    assert meeting.starts_at == start and meeting.time_zone == "Europe/Lisbon"
    assert meeting.starts_at.astimezone(BERLIN).hour == 11

    client.force_login(cast.member)
    for path in ("", f"{meeting.pk}/"):
        page = client.get(f"/groups/{cast.workgroup.slug}/meetings/{path}").content.decode()
        assert "11:00" in page and "12:30" in page, path  # the viewer's time
        assert "Europe/Berlin" in page
        assert "10:00–11:30" in page and "Europe/Lisbon" in page  # and the meeting's own

    lisbon_viewer = UserFactory(time_zone="Europe/Lisbon")
    services.invite_user(actor=cast.owner, workgroup=cast.workgroup, user=lisbon_viewer)
    services.workgroup_join(actor=lisbon_viewer, workgroup=cast.workgroup)
    client.force_login(lisbon_viewer)
    page = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/").content.decode()
    assert "10:00" in page and "11:00" not in page

    data = (
        api_as(cast.member)
        .get(f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/{meeting.pk}/")
        .json()
    )
    assert dt.datetime.fromisoformat(data["starts_at"]) == start
    assert data["starts_at"].endswith("Z") or data["starts_at"].endswith("+00:00")
    assert data["starts_at_local"].startswith(in_days(7, 10).strftime("%Y-%m-%dT10:00:00"))


def test_the_form_reads_times_in_the_chosen_zone_not_the_viewers(client):
    cast = group_with_cast("members")
    cast.moderator.time_zone = "Europe/Helsinki"
    cast.moderator.save(update_fields=["time_zone"])
    client.force_login(cast.moderator)
    page = client.get(f"/groups/{cast.workgroup.slug}/meetings/new/").content.decode()
    assert '<option value="Europe/Helsinki" selected>' in page  # the viewer's zone is the default
    response = client.post(
        f"/groups/{cast.workgroup.slug}/meetings/new/",
        {
            "title": "Audit preparation",
            "starts_at": in_days(20, 10).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": in_days(20, 12).strftime("%Y-%m-%dT%H:%M"),
            "time_zone": "Europe/Lisbon",
            "place": "Lisbon",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="Audit preparation")
    assert meeting.starts_at == in_days(20, 10).replace(tzinfo=LISBON)
    assert meeting.time_zone == "Europe/Lisbon"
    edit = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/edit/").content.decode()
    assert in_days(20, 10).strftime("%Y-%m-%dT%H:%M") in edit  # edited in the meeting's zone too


def test_the_api_takes_wall_clock_times_or_instants():
    cast = group_with_cast("members")
    api = api_as(cast.owner)
    base = f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/"
    naive = api.post(
        base,
        {
            "title": "A",
            "starts_at": in_days(4, 10).isoformat(),
            "ends_at": in_days(4, 11).isoformat(),
            "time_zone": "Europe/Lisbon",
        },
        format="json",
    )
    assert naive.status_code == 201
    assert dt.datetime.fromisoformat(naive.json()["starts_at"]) == in_days(4, 10).replace(
        tzinfo=LISBON
    )
    instant = in_days(4, 8).replace(tzinfo=dt.UTC)
    aware = api.post(
        base,
        {
            "title": "B",
            "starts_at": instant.isoformat(),
            "ends_at": (instant + dt.timedelta(hours=1)).isoformat(),
            "time_zone": "Europe/Berlin",
        },
        format="json",
    )
    assert aware.status_code == 201
    assert dt.datetime.fromisoformat(aware.json()["starts_at"]) == instant
    assert aware.json()["time_zone"] == "Europe/Berlin"


def test_a_time_the_clocks_skip_is_refused():
    cast = group_with_cast("members")
    year = timezone.now().year + 1
    march_31 = dt.date(year, 3, 31)
    last_sunday = march_31 - dt.timedelta(days=(march_31.weekday() + 1) % 7)
    gap = dt.datetime(last_sunday.year, 3, last_sunday.day, 2, 30)
    with pytest.raises(ServiceError) as info:
        meetings.meeting_create(
            actor=cast.owner,
            workgroup=cast.workgroup,
            title="Night shift",
            starts_at=gap,
            ends_at=gap + dt.timedelta(hours=2),
            time_zone="Europe/Berlin",
        )
    assert "does not exist" in info.value.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": in_days(7, 9)}, "ends_at"),  # ends before it starts
        ({"ends_at": in_days(30, 9)}, "ends_at"),  # more than 14 days
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "ftp://files.example.org/x"}, "link"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"title": "   "}, "title"),
    ],
)
def test_invalid_meetings_are_refused_with_a_clear_error(client, changes, field):
    cast = group_with_cast("members")
    values = {
        "title": "Review",
        "starts_at": in_days(7, 10),
        "ends_at": in_days(7, 11),
        "time_zone": "Europe/Paris",
        **changes,
    }
    with pytest.raises(ServiceError):
        meetings.meeting_create(actor=cast.owner, workgroup=cast.workgroup, **values)
    client.force_login(cast.owner)
    form = {
        k: (v.strftime("%Y-%m-%dT%H:%M") if isinstance(v, dt.datetime) else v)
        for k, v in values.items()
    }
    response = client.post(f"/groups/{cast.workgroup.slug}/meetings/new/", form)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    api = api_as(cast.owner).post(
        f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/",
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()},
        format="json",
    )
    assert api.status_code == 400
    assert not Meeting.objects.exists()


# iCalendar


def test_the_ics_file_gives_the_stored_times_in_utc_and_escapes_text(client):
    cast = group_with_cast("members")
    meeting = plan(
        cast,
        title="Fill-finish; capacity, Q3 \\ planning",
        place="Biopôle, Room 2; Lyon",
        agenda="1. Budget, 2026\n2. Naïve Überprüfung der Abfüllkapazität " + "é" * 60,
    )
    client.force_login(cast.member)
    response = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/meeting.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8")
    calendar = [c for c in parse_ics(text) if c["_type"] == "VCALENDAR"][0]
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (event,) = events(text)
    assert event["DTSTART"] == meeting.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == meeting.ends_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert (
        dt.datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        == meeting.starts_at
    )
    assert event["UID"].startswith(f"meeting-{meeting.pk}@")
    assert event["DTSTAMP"].endswith("Z")
    assert event["SEQUENCE"] == "0" and event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == "Fill-finish\\; capacity\\, Q3 \\\\ planning"
    assert unescape(event["SUMMARY"]) == meeting.title
    assert unescape(event["LOCATION"]) == "Biopôle, Room 2; Lyon"
    assert unescape(event["DESCRIPTION"]).startswith(meeting.agenda)
    assert "Europe/Lisbon" in unescape(event["DESCRIPTION"])
    assert event["URL"] == f"http://testserver/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/"
    assert "\r\n " in text  # the long description was folded


def test_the_sequence_grows_with_each_change_and_a_cancellation_says_so(client):
    cast = group_with_cast("members")
    meeting = plan(cast)
    url = f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/meeting.ics"
    client.force_login(cast.member)
    assert events(client.get(url).content.decode())[0]["SEQUENCE"] == "0"
    meetings.meeting_update(actor=cast.moderator, meeting=meeting, starts_at=in_days(7, 9))
    moved = events(client.get(url).content.decode())[0]
    assert moved["SEQUENCE"] == "1"
    assert moved["DTSTART"] == in_days(7, 9).replace(tzinfo=LISBON).astimezone(dt.UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    meetings.meeting_update(
        actor=cast.moderator, meeting=meeting, starts_at=in_days(7, 9)
    )  # no change, no new sequence
    assert events(client.get(url).content.decode())[0]["SEQUENCE"] == "1"
    meetings.meeting_cancel(actor=cast.moderator, meeting=meeting)
    cancelled = events(client.get(url).content.decode())[0]
    assert cancelled["SEQUENCE"] == "2" and cancelled["STATUS"] == "CANCELLED"
    feed = events(
        client.get(f"/groups/{cast.workgroup.slug}/meetings/calendar.ics").content.decode()
    )
    assert [e["STATUS"] for e in feed] == [
        "CANCELLED"
    ]  # calendars subscribed to the feed drop it too
    api_event = events(
        api_as(cast.member)
        .get(f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/{meeting.pk}/ics/")
        .content.decode()
    )[0]
    assert api_event["STATUS"] == "CANCELLED" and api_event["UID"] == cancelled["UID"]


def test_folding_never_splits_a_character():
    line = "DESCRIPTION:" + "Überprüfung€" * 30
    folded = ics.fold(line)
    for physical in folded.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
        physical.encode("utf-8").decode("utf-8")
    assert folded.replace("\r\n ", "") == line


# Cancelling and changing


def test_a_cancelled_meeting_takes_no_answers_or_edits(client):
    cast = group_with_cast("members")
    meeting = plan(cast)
    meetings.meeting_cancel(actor=cast.owner, meeting=meeting)
    again = meetings.meeting_cancel(actor=cast.owner, meeting=meeting)  # idempotent
    assert again.sequence == 1
    with pytest.raises(Conflict):
        meetings.attendance_set(actor=cast.member, meeting=meeting, response="yes")
    with pytest.raises(Conflict):
        meetings.meeting_update(actor=cast.owner, meeting=meeting, title="Back")
    base = f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/{meeting.pk}/"
    assert (
        api_as(cast.member)
        .post(f"{base}attendance/", {"response": "yes"}, format="json")
        .status_code
        == 409
    )
    assert api_as(cast.owner).patch(base, {"title": "Back"}, format="json").status_code == 409
    client.force_login(cast.member)
    response = client.post(
        f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/attendance/",
        {"response": "yes"},
        follow=True,
    )
    assert "This meeting is cancelled." in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_past_meeting_cannot_be_cancelled_or_answered():
    cast = group_with_cast("members")
    meeting = plan(cast, days=-3)
    with pytest.raises(Conflict):
        meetings.meeting_cancel(actor=cast.owner, meeting=meeting)
    with pytest.raises(Conflict):
        meetings.attendance_set(actor=cast.member, meeting=meeting, response="yes")


# Answers


def test_answers_are_counted_per_member_and_replaced(client):
    cast = group_with_cast("members")
    meeting = plan(cast)
    meetings.attendance_set(actor=cast.member, meeting=meeting, response="yes")
    meetings.attendance_set(actor=cast.owner, meeting=meeting, response="maybe")
    meetings.attendance_set(actor=cast.moderator, meeting=meeting, response="no")
    meetings.attendance_set(actor=cast.member, meeting=meeting, response="no")  # changes their mind
    counted = meetings.meeting_get_visible(
        user=cast.member, workgroup=cast.workgroup, meeting_id=meeting.pk
    )
    assert (counted.yes_count, counted.maybe_count, counted.no_count, counted.my_response) == (
        0,
        1,
        2,
        "no",
    )
    with pytest.raises(ServiceError):
        meetings.attendance_set(actor=cast.member, meeting=meeting, response="perhaps")

    services.membership_remove(actor=cast.owner, workgroup=cast.workgroup, user_id=cast.member.pk)
    counted = meetings.meeting_get_visible(
        user=cast.owner, workgroup=cast.workgroup, meeting_id=meeting.pk
    )
    assert (counted.yes_count, counted.maybe_count, counted.no_count) == (
        0,
        1,
        1,
    )  # who left no longer counts
    client.force_login(cast.owner)
    page = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/").content.decode()
    assert "0 yes · 1 maybe · 1 no" in page and cast.moderator.display_name in page
    assert cast.member.display_name not in page


def test_the_list_shows_upcoming_first_and_past_apart(client):
    cast = group_with_cast("members")
    later, sooner = (
        plan(cast, title="Later meeting", days=20),
        plan(cast, title="Sooner meeting", days=2),
    )
    old = plan(cast, title="Old meeting", days=-10)
    client.force_login(cast.member)
    response = client.get(f"/groups/{cast.workgroup.slug}/meetings/")
    assert [m.pk for m in response.context["upcoming"]] == [sooner.pk, later.pk]
    assert [m.pk for m in response.context["past_page"].object_list] == [old.pk]
    page = response.content.decode()
    assert (
        page.index("Sooner meeting")
        < page.index("Later meeting")
        < page.index("Past meetings")
        < page.index("Old meeting")
    )
    api = api_as(cast.member)
    base = f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/"
    assert [m["title"] for m in api.get(base).json()["results"]] == [
        "Sooner meeting",
        "Later meeting",
    ]
    assert [m["title"] for m in api.get(f"{base}?when=past").json()["results"]] == ["Old meeting"]
    assert api.get(f"{base}?when=all").json()["count"] == 3
    assert api.get(f"{base}?when=someday").status_code == 400


# Notifications


def _notified(kind="workgroup.meeting") -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_notifications_reach_active_members_only(django_capture_on_commit_callbacks):
    cast = group_with_cast("members")
    expected = sorted([cast.owner.pk, cast.member.pk])  # the moderator acts, so is not told
    with django_capture_on_commit_callbacks(execute=True):
        meeting = plan(cast)
    assert _notified() == expected
    assert (
        "Steering committee" in Notification.objects.filter(kind="workgroup.meeting").first().title
    )

    Notification.objects.all().delete()
    meetings.meeting_update(actor=cast.moderator, meeting=meeting, agenda="1. Budget only")
    assert _notified() == []  # an agenda change is not worth an alert
    meetings.meeting_update(actor=cast.moderator, meeting=meeting, place="Room 5")
    assert _notified() == expected
    assert "changed" in Notification.objects.filter(kind="workgroup.meeting").first().title

    Notification.objects.all().delete()
    meetings.meeting_cancel(actor=cast.moderator, meeting=meeting)
    assert _notified() == expected
    assert "cancelled" in Notification.objects.filter(kind="workgroup.meeting").first().title
    for role in ("pending", "invited", "removed", "outsider"):
        assert not Notification.objects.filter(
            recipient=cast[role], kind="workgroup.meeting"
        ).exists()


# Query counts


def _count(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured)


def _fill(cast, n):
    for i in range(n):
        meeting = plan(cast, title=f"Meeting {i}", days=(i % 2 and 3 + i) or -(3 + i))
        if meeting.ends_at > timezone.now():
            meetings.attendance_set(actor=cast.member, meeting=meeting, response="yes")
            meetings.attendance_set(actor=cast.owner, meeting=meeting, response="maybe")


def test_the_meeting_list_costs_the_same_for_2_and_30_meetings(client):
    small, large = group_with_cast("members"), group_with_cast("members")
    _fill(small, 2)
    _fill(large, 30)
    counts = []
    for cast in (small, large):
        client.force_login(cast.member)
        client.get(f"/groups/{cast.workgroup.slug}/meetings/")
        api = api_as(cast.member)
        base = f"/api/v1/workgroups/{cast.workgroup.slug}/meetings/"
        counts.append(
            (
                _count(lambda c=cast: client.get(f"/groups/{c.workgroup.slug}/meetings/")),
                _count(lambda api=api, base=base: api.get(f"{base}?when=all&page_size=50")),
                _count(
                    lambda c=cast: client.get(f"/groups/{c.workgroup.slug}/meetings/calendar.ics")
                ),
            )
        )
    assert counts[0] == counts[1]


def test_the_pages_render(client):
    cast = group_with_cast("public")
    meeting = plan(cast, agenda="**Budget** and <script>alert(1)</script>")
    client.force_login(cast.outsider)
    page = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/").content.decode()
    assert "<strong>Budget</strong>" in page and "<script>alert" not in page
    assert (
        "Will you attend?" not in page and "Plan a meeting" not in page
    )  # an outsider reads, does not answer
    client.force_login(cast.member)
    page = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/").content.decode()
    assert "Will you attend?" in page and f"{meeting.pk}/edit/" not in page
    client.force_login(cast.owner)
    assert (
        "Plan a meeting" in client.get(f"/groups/{cast.workgroup.slug}/meetings/").content.decode()
    )
    cancel = client.get(f"/groups/{cast.workgroup.slug}/meetings/{meeting.pk}/cancel/")
    assert cancel.status_code == 200 and "Cancel “Steering committee”?" in cancel.content.decode()
