import threading
import uuid

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection, transaction
from django.http import Http404

from community import services as community_services
from community.errors import Conflict, NotAllowed, ServiceError
from messaging import selectors, services
from messaging.models import Conversation, Message, Notification, Participant
from messaging.services import TooLarge
from tests.factories import UserFactory, organisation_with_admin

pytestmark = pytest.mark.django_db


def send(actor, conversation, body="hello", client_id=None):
    return services.message_send(actor=actor, conversation_id=conversation.pk, body=body, client_id=client_id or uuid.uuid4())


class TestConversations:
    def test_the_same_two_people_share_one_conversation(self):
        a, b = UserFactory(), UserFactory()
        first, created = services.conversation_direct_get_or_create(actor=a, other=b)
        again, created_again = services.conversation_direct_get_or_create(actor=b, other=a)
        assert created and not created_again
        assert first == again
        assert Conversation.objects.count() == 1

    def test_group_limits(self):
        a = UserFactory()
        with pytest.raises(ServiceError):
            services.conversation_group_create(actor=a, participants=[a])
        with pytest.raises(ServiceError):
            services.conversation_group_create(actor=a, participants=UserFactory.create_batch(50))
        group = services.conversation_group_create(actor=a, participants=UserFactory.create_batch(49), title="Fill-finish")
        assert Participant.objects.filter(conversation=group).count() == 50

    def test_contacting_an_organisation_reaches_its_admins(self):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        visitor = UserFactory()
        conversation, _created = services.conversation_contact_organisation(actor=visitor, organisation=org)
        assert set(selectors.active_participant_ids(conversation.pk)) == {visitor.pk, admin.pk}
        second_admin = UserFactory()
        community_services.organisation_member_add(actor=admin, organisation=org, user=second_admin, role="admin")
        group, _ = services.conversation_contact_organisation(actor=UserFactory(), organisation=org)
        assert group.kind == "group"
        assert org.name in group.title

    def test_only_the_creator_manages_a_group(self):
        creator, member, outsider = UserFactory(), UserFactory(), UserFactory()
        group = services.conversation_group_create(actor=creator, participants=[member])
        with pytest.raises(NotAllowed):
            services.conversation_participant_add(actor=member, conversation_id=group.pk, user=outsider)
        with pytest.raises(NotAllowed):
            services.conversation_participant_remove(actor=member, conversation_id=group.pk, user=creator)
        with pytest.raises(Http404):
            services.conversation_participant_add(actor=outsider, conversation_id=group.pk, user=outsider)
        services.conversation_participant_add(actor=creator, conversation_id=group.pk, user=outsider)
        with pytest.raises(Conflict):
            services.conversation_participant_add(actor=creator, conversation_id=group.pk, user=outsider)
        services.conversation_participant_remove(actor=creator, conversation_id=group.pk, user=outsider)
        assert not selectors.is_active_participant(user_id=outsider.pk, conversation_id=group.pk)
        services.conversation_participant_remove(actor=member, conversation_id=group.pk, user=member)
        assert not selectors.is_active_participant(user_id=member.pk, conversation_id=group.pk)


class TestMessages:
    def setup_pair(self):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        return a, b, conversation

    def test_ids_grow_and_sync_returns_exactly_what_was_missed(self):
        a, b, conversation = self.setup_pair()
        ids = [send(a if i % 2 else b, conversation, f"m{i}")[0].pk for i in range(7)]
        assert ids == sorted(ids)
        missed, has_more = selectors.messages_after(user=b, conversation_id=conversation.pk, after=ids[2])
        assert [m.pk for m in missed] == ids[3:]
        assert not has_more
        page, has_more = selectors.messages_after(user=b, conversation_id=conversation.pk, after=0, limit=3)
        assert [m.pk for m in page] == ids[:3]
        assert has_more

    def test_resend_with_the_same_client_id_is_not_stored_twice(self):
        a, _b, conversation = self.setup_pair()
        client_id = uuid.uuid4()
        first, created = send(a, conversation, "once", client_id)
        again, created_again = send(a, conversation, "once", client_id)
        assert created and not created_again
        assert first.pk == again.pk
        assert Message.objects.count() == 1
        other, _ = services.conversation_direct_get_or_create(actor=a, other=UserFactory())
        with pytest.raises(ServiceError):
            send(a, other, "elsewhere", client_id)

    def test_bad_messages_store_nothing(self):
        a, _b, conversation = self.setup_pair()
        with pytest.raises(TooLarge):
            send(a, conversation, "x" * 10_001)
        for body in ("", "   ", None, 42):
            with pytest.raises(ServiceError):
                send(a, conversation, body)
        with pytest.raises(ServiceError):
            services.message_send(actor=a, conversation_id=conversation.pk, body="hi", client_id="not-a-uuid")
        assert not Message.objects.exists()
        assert send(a, conversation, "x" * 10_000)[1]

    def test_outsiders_and_removed_participants_cannot_send_or_read(self):
        creator, member, outsider = UserFactory(), UserFactory(), UserFactory()
        group = services.conversation_group_create(actor=creator, participants=[member])
        send(creator, group, "before")
        for stranger in (outsider,):
            with pytest.raises(Http404):
                send(stranger, group, "let me in")
            with pytest.raises(Http404):
                selectors.messages_after(user=stranger, conversation_id=group.pk, after=0)
        services.conversation_participant_remove(actor=creator, conversation_id=group.pk, user=member)
        with pytest.raises(Http404):
            send(member, group, "still here?")
        with pytest.raises(Http404):
            selectors.messages_before(user=member, conversation_id=group.pk, before=None)
        assert Message.objects.count() == 1

    def test_markdown_is_sanitised(self):
        a, _b, conversation = self.setup_pair()
        message, _ = send(a, conversation, '**bold** <script>alert(1)</script> [x](javascript:alert(1)) <a href="#" onclick="e()">y</a>')
        assert "<strong>bold</strong>" in message.body_html
        html = BeautifulSoup(message.body_html, "html.parser")
        assert html.find("script") is None
        assert all(not a.get("href", "").startswith("javascript:") for a in html.find_all("a"))
        assert all(not attr.startswith("on") for tag in html.find_all(True) for attr in tag.attrs)

    def test_edit_and_delete_own_messages_only(self):
        a, b, conversation = self.setup_pair()
        message, _ = send(a, conversation, "first draft")
        with pytest.raises(NotAllowed):
            services.message_edit(actor=b, message_id=message.pk, body="hijack")
        with pytest.raises(NotAllowed):
            services.message_delete(actor=b, message_id=message.pk)
        edited = services.message_edit(actor=a, message_id=message.pk, body="final *text*")
        assert edited.edited_at and "<em>text</em>" in edited.body_html
        deleted = services.message_delete(actor=a, message_id=message.pk)
        assert deleted.deleted and deleted.body == ""
        with pytest.raises(Conflict):
            services.message_edit(actor=a, message_id=message.pk, body="resurrect")

    def test_read_mark_only_moves_forward(self):
        a, b, conversation = self.setup_pair()
        ids = [send(a, conversation, f"m{i}")[0].pk for i in range(3)]
        assert selectors.unread_total(user=b) == 3
        assert services.conversation_mark_read(actor=b, conversation_id=conversation.pk, up_to=ids[1]) == ids[1]
        assert selectors.unread_total(user=b) == 1
        assert services.conversation_mark_read(actor=b, conversation_id=conversation.pk, up_to=ids[0]) == ids[1]
        assert services.conversation_mark_read(actor=b, conversation_id=conversation.pk, up_to=10**9) == ids[2]
        assert selectors.unread_total(user=b) == 0
        assert selectors.unread_total(user=a) == 0

    def test_blocked_people_cannot_message(self):
        a, b, conversation = self.setup_pair()
        services.user_block(actor=b, user=a)
        with pytest.raises(NotAllowed):
            send(a, conversation, "hello?")
        with pytest.raises(NotAllowed):
            services.conversation_direct_get_or_create(actor=a, other=b)
        assert send(b, conversation, "I can still write")[1]
        services.user_unblock(actor=b, user=a)
        assert send(a, conversation, "thanks")[1]

    def test_reports(self):
        a, b, conversation = self.setup_pair()
        message, _ = send(a, conversation, "spam spam")
        with pytest.raises(ServiceError):
            services.message_report(actor=a, message_id=message.pk, reason="mine")
        with pytest.raises(Http404):
            services.message_report(actor=UserFactory(), message_id=message.pk, reason="not my conversation")
        report = services.message_report(actor=b, message_id=message.pk, reason="unsolicited advertising")
        assert report.body_snapshot == "spam spam"
        with pytest.raises(Conflict):
            services.message_report(actor=b, message_id=message.pk, reason="again")


class TestPublishing:
    def test_events_leave_only_after_commit(self, django_capture_on_commit_callbacks):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        with django_capture_on_commit_callbacks() as callbacks:
            send(a, conversation, "hello")
        # message.new to both, the notification to b, and the scheduled email.
        assert len(callbacks) >= 3

    def test_a_rolled_back_send_publishes_nothing(self, django_capture_on_commit_callbacks):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)

        def send_then_fail():
            with transaction.atomic():
                send(a, conversation, "never")
                raise RuntimeError

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            send_then_fail()
        assert callbacks == []
        assert not Message.objects.exists()


class TestNotifications:
    def test_one_unread_notification_per_conversation(self):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        for i in range(3):
            send(a, conversation, f"m{i}")
        notes = list(Notification.objects.filter(recipient=b))
        assert len(notes) == 1
        assert notes[0].body == "m2"
        assert not Notification.objects.filter(recipient=a).exists()
        services.conversation_mark_read(actor=b, conversation_id=conversation.pk, up_to=10**9)
        assert selectors.notifications_unread_count(user=b) == 0

    def test_preferences(self):
        a, b = UserFactory(), UserFactory()
        services.notification_preferences_update(actor=b, user=b, preferences={"message": "off"})
        with pytest.raises(ServiceError):
            services.notification_preferences_update(actor=b, user=b, preferences={"message": "carrier-pigeon"})
        with pytest.raises(NotAllowed):
            services.notification_preferences_update(actor=a, user=b, preferences={"message": "immediate"})
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        send(a, conversation)
        assert not Notification.objects.filter(recipient=b).exists()

    def test_mark_read_is_mine_only(self):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        send(a, conversation)
        note = Notification.objects.get(recipient=b)
        assert services.notifications_mark_read(actor=a, ids=[note.pk]) == 0
        assert services.notifications_mark_read(actor=b, ids=[note.pk]) == 1


@pytest.fixture
def database_tasks(settings):
    """The real database task backend; the test runs the worker itself (stack notes 1, 3)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MESSAGE_EMAIL_DELAY_SECONDS = 0
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def run_worker():
    from django.core.management import call_command

    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
class TestUnreadEmail:
    def test_one_email_per_conversation_and_window(self, database_tasks):
        a, b = UserFactory(display_name="Ada"), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        for i in range(3):
            send(a, conversation, f"note {i}")
        run_worker()
        emailed = [m for m in mail.outbox if m.to == [b.email]]
        assert len(emailed) == 1
        assert "Ada" in emailed[0].subject
        assert all(f"note {i}" in emailed[0].body for i in range(3))
        assert not [m for m in mail.outbox if m.to == [a.email]]
        # A new window: one more email, with only what is new.
        mail.outbox.clear()
        send(a, conversation, "note 3")
        run_worker()
        assert len(mail.outbox) == 1
        assert "note 3" in mail.outbox[0].body
        assert "note 2" not in mail.outbox[0].body

    def test_nothing_for_what_was_read_meanwhile(self, database_tasks):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        send(a, conversation, "read me")
        services.conversation_mark_read(actor=b, conversation_id=conversation.pk, up_to=10**9)
        run_worker()
        assert mail.outbox == []

    def test_removed_participants_and_opted_out_people_get_no_email(self, database_tasks):
        creator, member, quiet = UserFactory(), UserFactory(), UserFactory()
        services.notification_preferences_update(actor=quiet, user=quiet, preferences={"message": "in_app"})
        group = services.conversation_group_create(actor=creator, participants=[member, quiet])
        send(creator, group, "before removal")
        services.conversation_participant_remove(actor=creator, conversation_id=group.pk, user=member)
        run_worker()
        assert [m.to for m in mail.outbox] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_store_one_message():
    """Two threads send the same client_id at once: one row, both get it back."""
    a, b = UserFactory(), UserFactory()
    conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
    client_id = uuid.uuid4()
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            results.append(send(a, conversation, "once", client_id)[0].pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert Message.objects.filter(client_id=client_id).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_commit_in_id_order():
    """With the conversation row locked, ids grow in commit order: `after` never skips."""
    a, b = UserFactory(), UserFactory()
    conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
    barrier = threading.Barrier(6)

    def worker(n):
        try:
            barrier.wait()
            for i in range(5):
                send(a if n % 2 else b, conversation, f"{n}-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = list(Message.objects.filter(conversation=conversation).order_by("created_at", "id").values_list("id", flat=True))
    assert len(ids) == 30
    assert ids == sorted(ids)


@pytest.mark.django_db(transaction=True)
class TestDigest:
    def test_digest_holds_what_is_unread_and_never_empty(self, database_tasks):
        from messaging.tasks import send_daily_digests

        a, b, quiet = UserFactory(), UserFactory(display_name="Bea"), UserFactory()
        services.notification_preferences_update(actor=b, user=b, preferences={"message": "digest"})
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        send(a, conversation, "for the digest")
        run_worker()
        assert mail.outbox == []  # digest people get no immediate email
        assert send_daily_digests.call() == 1
        assert [m.to for m in mail.outbox] == [[b.email]]
        assert "for the digest" in mail.outbox[0].body
        mail.outbox.clear()
        assert send_daily_digests.call() == 0  # nothing new: no email
        assert mail.outbox == []
        assert quiet.notifications.count() == 0

    def test_tomorrows_run_is_scheduled_once(self, database_tasks):
        from django_tasks_db.models import DBTaskResult

        from messaging.tasks import schedule_next_digest

        assert schedule_next_digest() is True
        assert schedule_next_digest() is False
        assert DBTaskResult.objects.filter(task_path__endswith="send_daily_digests").count() == 1


def test_private_profiles_cannot_be_messaged_by_strangers():
    stranger, private = UserFactory(), UserFactory(profile_visibility="colleagues")
    with pytest.raises(Http404):
        services.conversation_direct_get_or_create(actor=stranger, other=private)
    with pytest.raises(Http404):
        services.conversation_group_create(actor=stranger, participants=[private, UserFactory()])
    org = organisation_with_admin(admin=private)
    conversation, _ = services.conversation_contact_organisation(actor=stranger, organisation=org)
    assert set(selectors.active_participant_ids(conversation.pk)) == {stranger.pk, private.pk}
