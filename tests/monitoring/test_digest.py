"""The weekly email: its content, its absence when there is nothing new, and preferences honoured."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import timezone, translation

from cms.monitoring import digest
from cms.monitoring.models import WeeklyDigest
from cms.monitoring.tasks import (
    next_weekly_digest_time,
    send_weekly_digest,
    send_weekly_digests,
    week_of,
)
from messaging import services as messaging
from partnerships import services as partnerships
from partnerships.models import Call
from tests.factories import UserFactory, organisation_with_admin
from tests.monitoring.helpers import field, item
from tests.workgroups.helpers import group_with_cast
from workgroups import meetings, threads
from workgroups.models import Document

pytestmark = pytest.mark.django_db


def call(title: str, *, fields=("viral-vectors",), days_ago: float = 0) -> Call:
    admin = UserFactory()
    org = organisation_with_admin(admin, name=f"Caller for {title}")
    created = partnerships.call_create(
        actor=admin,
        organisation=org,
        kind="capacity-request",
        title=title,
        summary=f"{title}, the summary.",
        deadline=timezone.now() + timedelta(days=40),
        fields=[field(f) for f in fields],
        publish=True,
    )
    if days_ago:
        Call.objects.filter(pk=created.pk).update(
            published_at=timezone.now() - timedelta(days=days_ago)
        )
    return created


@pytest.fixture
def week():
    """A group with its cast, the member following viral vectors, and a week of news."""
    cast = group_with_cast("members", name="Vector Manufacturing Forum")
    reader = cast.member
    reader.interests.add(field("viral-vectors"))
    reader.time_zone = "Asia/Tokyo"
    reader.save()
    item("AAV capsid plant opens in Vienna", fields=["viral-vectors"], days_ago=2)
    item("Lentiviral vector process transferred", fields=["viral-vectors"], days_ago=6)
    item("An AAV story of last month", fields=["viral-vectors"], days_ago=9)
    item("mRNA plant expands", fields=["mrna"], days_ago=1)
    item("Withdrawn vector news", fields=["viral-vectors"], days_ago=1, hidden=True)
    call("Seeking AAV fill-finish capacity")
    call("An old AAV call", days_ago=10)
    call("An mRNA call", fields=("mrna",))
    threads.thread_create(
        actor=cast.owner,
        workgroup=cast.workgroup,
        title="Sharing empty-capsid assays",
        body="Who has data?",
    )
    threads.thread_create(
        actor=reader, workgroup=cast.workgroup, title="My own thread", body="Mine."
    )
    starts = timezone.now().replace(microsecond=0) + timedelta(days=5)
    meetings.meeting_create(
        actor=cast.owner,
        workgroup=cast.workgroup,
        title="Quarterly call",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        time_zone="UTC",
    )
    Document.objects.create(
        workgroup=cast.workgroup, title="Empty-capsid assay protocol", created_by=cast.owner
    )
    mail.outbox.clear()
    return cast


def weekly_emails(user) -> list:
    """What left for `user` (nothing else emails anyone inside these tests' commit captures)."""
    return [m for m in mail.outbox if m.to == [user.email]]


class TestContent:
    def test_items_calls_and_group_activity(self, week, django_capture_on_commit_callbacks):
        reader = week.member
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=reader) is True
        (email,) = weekly_emails(reader)
        text = email.body
        assert "2 NEW ITEMS IN YOUR FIELDS" in text
        assert (
            "AAV capsid plant opens in Vienna" in text
            and "Lentiviral vector process transferred" in text
        )
        assert (
            "An AAV story of last month" not in text
            and "mRNA plant expands" not in text
            and "Withdrawn" not in text
        )
        assert "Why: You follow Viral vectors" in text
        assert "Seeking AAV fill-finish capacity" in text
        assert "An old AAV call" not in text and "An mRNA call" not in text
        assert "Vector Manufacturing Forum" in text
        assert "Discussion: Sharing empty-capsid assays" in text and "My own thread" not in text
        assert "Document: Empty-capsid assay protocol" in text
        assert "Quarterly call" in text
        assert "http://127.0.0.1:8000/feed/" in text
        html, kind = email.alternatives[0]
        assert kind == "text/html" and "<html" in html
        assert (
            "AAV capsid plant opens in Vienna" in html
            and "Seeking AAV fill-finish capacity" in html
        )
        assert "Sharing empty-capsid assays" in html
        record = WeeklyDigest.objects.get(user=reader)
        assert (record.items, record.calls, record.activities) == (2, 1, 3)

    def test_dates_in_the_readers_time_zone_and_language(
        self, week, django_capture_on_commit_callbacks
    ):
        reader = week.member
        reader.language = "fr"
        reader.save()
        with django_capture_on_commit_callbacks(execute=True):
            send_weekly_digest(user=reader)
        (email,) = weekly_emails(reader)
        meeting = week.workgroup.meetings.get()
        with translation.override("fr"), timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
            expected = Template('{{ d|date:"DATETIME_FORMAT" }}').render(
                Context({"d": meeting.starts_at})
            )
        assert f"{expected} (Asia/Tokyo)" in email.body

    def test_page_items_link_to_the_site(self, week, django_capture_on_commit_callbacks):
        reader = week.member
        item("The platform's own vector news", fields=["viral-vectors"], kind="news", days_ago=1)
        with django_capture_on_commit_callbacks(execute=True):
            send_weekly_digest(user=reader)
        (email,) = weekly_emails(reader)
        assert "http://127.0.0.1:8000/news/" in email.body

    def test_organisation_fields_count(self, django_capture_on_commit_callbacks):
        worker = UserFactory()
        organisation_with_admin(worker, name="Danube Vector Works", fields=[field("fill-finish")])
        item("Fill-finish line qualified", fields=["fill-finish"], days_ago=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=worker)
        assert "Why: Danube Vector Works works on Fill-finish" in weekly_emails(worker)[0].body


class TestWhoGetsIt:
    def test_the_task_sends_to_those_with_news_only(self, week, django_capture_on_commit_callbacks):
        idle = UserFactory()
        idle.interests.add(field("plasmid-dna"))  # nothing new in plasmid DNA
        nobody = UserFactory()  # no fields, no organisation, no group
        with django_capture_on_commit_callbacks(execute=True):
            sent = send_weekly_digests.call()
        recipients = {m.to[0] for m in mail.outbox}
        assert week.member.email in recipients
        assert idle.email not in recipients and nobody.email not in recipients
        # The moderator is told of the owner's thread, meeting and document; the owner of the member's thread.
        assert week.moderator.email in recipients and week.owner.email in recipients
        owner_email = next(m for m in mail.outbox if m.to == [week.owner.email])
        assert (
            "My own thread" in owner_email.body
            and "Sharing empty-capsid assays" not in owner_email.body
        )
        # Pending, invited and removed people see no group activity.
        for role in ("pending", "invited", "removed", "outsider"):
            assert week[role].email not in recipients, role
        assert sent == len(recipients) == 3

    def test_nothing_new_sends_nothing(self, django_capture_on_commit_callbacks):
        quiet = UserFactory()
        quiet.interests.add(field("mrna"))
        item("Old mRNA news", fields=["mrna"], days_ago=20)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=quiet) is False
        assert mail.outbox == [] and not WeeklyDigest.objects.exists()

    @pytest.mark.parametrize(
        ("choice", "sent"),
        [("off", False), ("in_app", False), ("immediate", True), ("digest", True)],
    )
    def test_preference(self, week, django_capture_on_commit_callbacks, choice, sent):
        reader = week.member
        messaging.notification_preferences_update(
            actor=reader, user=reader, preferences={"monitoring.weekly": choice}
        )
        reader.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=reader) is sent
        assert bool(weekly_emails(reader)) is sent

    def test_never_twice_in_a_week(self, week, django_capture_on_commit_callbacks):
        reader = week.member
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=reader)
            assert not send_weekly_digest(user=reader)
        assert len(weekly_emails(reader)) == 1

    def test_next_week_covers_only_what_came_after(self, week, django_capture_on_commit_callbacks):
        reader = week.member
        with django_capture_on_commit_callbacks(execute=True):
            send_weekly_digest(user=reader)
        later = timezone.now() + timedelta(days=7)
        item(
            "A vector story of the next week", fields=["viral-vectors"], days_ago=-3
        )  # three days from now
        content = digest.digest_for(reader, since=timezone.now(), now=later)
        assert [i.title for i in content.items] == ["A vector story of the next week"]

    def test_inactive_people_get_nothing(self, week, django_capture_on_commit_callbacks):
        reader = week.member
        reader.is_active = False
        reader.save()
        with django_capture_on_commit_callbacks(execute=True):
            assert send_weekly_digest(user=reader) is False


class TestSchedule:
    def test_next_run_is_monday_at_the_digest_hour(self, settings):
        settings.DIGEST_HOUR_UTC = 6
        wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        assert next_weekly_digest_time(wednesday) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
        early_monday = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
        assert next_weekly_digest_time(early_monday) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
        assert next_weekly_digest_time(datetime(2026, 11, 30, 6, 0, tzinfo=UTC)) == datetime(
            2026, 12, 7, 6, 0, tzinfo=UTC
        )
        assert week_of(wednesday).isoformat() == "2026-11-23"

    @pytest.mark.django_db(transaction=True)
    def test_reschedules_itself_on_the_database_backend(self, settings):
        from django_tasks_db.models import DBTaskResult

        from cms.monitoring.tasks import schedule_next_weekly_digest

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        assert schedule_next_weekly_digest() is True
        assert schedule_next_weekly_digest() is False
        DBTaskResult.objects.all().delete()
        send_weekly_digests.call()
        waiting = DBTaskResult.objects.get(status="READY")
        assert waiting.task_path.endswith("send_weekly_digests")
        assert waiting.run_after.weekday() == 0 and waiting.run_after > timezone.now()


def test_the_kind_is_on_the_preferences_page(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get("/accounts/notifications/").content.decode()
    assert 'name="monitoring.weekly"' in html
