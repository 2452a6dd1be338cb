"""Events: times in their own zone, the .ics download, upcoming and past."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import EventPage
from tests.cms.conftest import event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def unfold(ics: str) -> str:
    return ics.replace("\r\n ", "")


def test_ics_download_is_a_calendar_file_in_utc(client, tree):
    lisbon = ZoneInfo("Europe/Lisbon")
    item = event(
        tree.events,
        "Fill-finish; a workshop, in Lisbon",
        zone="Europe/Lisbon",
        starts_at=datetime(2031, 7, 3, 9, 30, tzinfo=lisbon),
        ends_at=datetime(2031, 7, 3, 17, 0, tzinfo=lisbon),
        registration_url="https://example.org/register",
    )
    response = client.get(item.url + "ics/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{item.slug}.ics"'
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith(
        "END:VCALENDAR\r\n"
    )
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    flat = unfold(body)
    # 09:30 in Lisbon in July (WEST, UTC+1) is 08:30 UTC.
    assert "DTSTART:20310703T083000Z" in flat and "DTEND:20310703T160000Z" in flat
    assert "SUMMARY:Fill-finish\\; a workshop\\, in Lisbon" in flat
    assert f"UID:event-{item.pk}@" in flat
    assert "LOCATION:Vector Hall\\, Vienna\\, Austria" in flat
    assert f"URL:http://testserver{item.url}" in flat
    assert "Time zone of the event: Europe/Lisbon" in flat
    assert "Register: https://example.org/register" in flat


def test_event_index_calendar_lists_upcoming_events_only(client, tree):
    event(tree.events, "Next month", days=30)
    event(tree.events, "Last month", days=-30)
    response = client.get(tree.events.url + "calendar/")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    flat = unfold(response.content.decode())
    assert flat.count("BEGIN:VEVENT") == 1 and "SUMMARY:Next month" in flat
    assert "X-WR-CALNAME:Events" in flat


def test_event_page_shows_the_time_at_the_event_and_the_readers_own(client, tree):
    madrid = ZoneInfo("Europe/Madrid")
    item = event(
        tree.events,
        "Webinar",
        zone="Europe/Madrid",
        starts_at=datetime(2031, 3, 6, 15, 0, tzinfo=madrid),
        ends_at=datetime(2031, 3, 6, 16, 30, tzinfo=madrid),
        attendance="online",
        online_url="https://example.org/live",
        city="",
    )
    page = client.get(item.url).content.decode()
    assert "Thursday 6 March 2031, 15:00–16:30" in page and "(Europe/Madrid)" in page
    assert "Your time" not in page  # anonymous readers: no guess at their zone
    helsinki = UserFactory(time_zone="Europe/Helsinki")
    client.force_login(helsinki)
    page = client.get(item.url).content.decode()
    assert "Your time: Thursday 6 March 2031, 16:00–17:30 (Europe/Helsinki)" in page
    assert "Join online" in page


def test_multi_day_event_shows_both_days(client, tree):
    vienna = ZoneInfo("Europe/Vienna")
    item = event(
        tree.events,
        "Conference",
        starts_at=datetime(2031, 9, 1, 9, 0, tzinfo=vienna),
        ends_at=datetime(2031, 9, 3, 13, 0, tzinfo=vienna),
    )
    page = client.get(item.url).content.decode()
    assert "1 September 2031, 09:00 – 3 September 2031, 13:00" in page


def test_the_editor_types_times_in_the_events_zone(client, tree, editor):
    """An editor in Brussels enters 09:00 for an event in Lisbon: it starts at 09:00 Lisbon time."""
    client.force_login(editor)
    data = nested_form_data(
        {
            "title": "Lisbon workshop",
            "slug": "lisbon-workshop",
            "intro": "In Lisbon.",
            "starts_at": "2031-07-03 09:00",
            "ends_at": "2031-07-03 17:00",
            "time_zone": "Europe/Lisbon",
            "attendance": "in-person",
            "city": "Lisbon",
            "country": "PT",
            "body": streamfield([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["cms", "eventpage", tree.events.pk]), data
    )
    assert response.status_code == 302, (
        response.context["form"].errors if response.context else response
    )
    item = EventPage.objects.get(slug="lisbon-workshop")
    assert item.starts_at == datetime(2031, 7, 3, 8, 0, tzinfo=UTC)
    assert item.ends_at == datetime(2031, 7, 3, 16, 0, tzinfo=UTC)
    # Reopened, the form shows the same wall-clock time at the event.
    html = client.get(reverse("wagtailadmin_pages:edit", args=[item.pk])).content.decode()
    assert re.search(r'name="starts_at"[^>]*value="2031-07-03 09:00', html)


def test_the_editor_is_told_when_an_event_ends_before_it_starts_or_lacks_a_place(
    client, tree, editor
):
    client.force_login(editor)
    data = nested_form_data(
        {
            "title": "Backwards",
            "slug": "backwards",
            "intro": "x",
            "starts_at": "2031-07-03 17:00",
            "ends_at": "2031-07-03 09:00",
            "time_zone": "Europe/Paris",
            "attendance": "hybrid",
            "city": "",
            "body": streamfield([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["cms", "eventpage", tree.events.pk]), data
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "ends_at" in errors and "online_url" in errors and "city" in errors
    assert not EventPage.objects.filter(slug="backwards").exists()


def test_event_index_lists_upcoming_soonest_first_and_past_after(client, tree):
    event(tree.events, "In two months", days=60)
    event(tree.events, "Next week", days=7)
    event(tree.events, "Last year", days=-365)
    page = client.get(tree.events.url).content.decode()
    upcoming, past = page.split('id="past-title"')
    assert upcoming.index("Next week") < upcoming.index("In two months")
    assert "Last year" in past and "Last year" not in upcoming


def test_an_event_in_progress_is_still_upcoming(tree):
    from cms.selectors import events_upcoming

    now = timezone.now()
    event(tree.events, "Now", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2))
    assert [e.title for e in events_upcoming()] == ["Now"]
