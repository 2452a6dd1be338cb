import uuid

import pytest
from bs4 import BeautifulSoup

from messaging import services
from messaging.models import Block, Message, Notification, Report
from tests.factories import UserFactory, organisation_with_admin
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


def send(actor, conversation, body="hello"):
    return services.message_send(actor=actor, conversation_id=conversation.pk, body=body, client_id=uuid.uuid4())[0]


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


class TestPages:
    def test_inbox_lists_mine_with_unread_and_no_n_plus_one(self, client):
        me = UserFactory()
        client.force_login(me)
        counts = []
        for n in (2, 18):
            for _ in range(n):
                other = UserFactory()
                conversation, _ = services.conversation_direct_get_or_create(actor=other, other=me)
                send(other, conversation)
            count, response = queries_for(lambda: client.get("/messages/"))
            counts.append(count)
        rows = soup(response).select("[data-inbox] .conversation-row.unread")
        assert len(rows) == 20
        assert counts[0] == counts[1], counts
        nav = soup(response).select_one('[data-badge="messages"] [data-count]')
        assert nav.get_text() == "20"

    def test_conversation_page_marks_read_and_pages_history(self, client):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        messages = [send(a, conversation, f"m{i}") for i in range(55)]
        client.force_login(b)
        page = client.get(f"/messages/{conversation.pk}/")
        shown = [int(li["data-id"]) for li in soup(page).select("#messages > li.message")]
        assert shown == [m.pk for m in messages[5:]]
        earlier = client.get(f"/messages/{conversation.pk}/?before={messages[5].pk}", HTTP_HX_REQUEST="true")
        assert [int(li["data-id"]) for li in soup(earlier).select("li.message")] == [m.pk for m in messages[:5]]
        assert client.get("/api/v1/notifications/counts/").json()["messages"] == 0

    def test_outsiders_and_removed_get_404(self, client):
        creator, member, outsider = UserFactory(), UserFactory(), UserFactory()
        group = services.conversation_group_create(actor=creator, participants=[member])
        send(creator, group, "confidential plan")
        services.conversation_participant_remove(actor=creator, conversation_id=group.pk, user=member)
        client.force_login(creator)
        assert len(soup(client.get("/messages/?q=confidential plan")).select("#h-results ~ ul .card")) == 1
        for stranger in (outsider, member):
            client.force_login(stranger)
            assert client.get(f"/messages/{group.pk}/").status_code == 404
            assert client.post(f"/messages/{group.pk}/send/", {"body": "hi"}).status_code == 404
            found = soup(client.get("/messages/?q=confidential plan")).select("#h-results ~ ul .card")
            assert found == []
        client.logout()
        assert client.get(f"/messages/{group.pk}/").status_code == 302
        assert Message.objects.count() == 1

    def test_forms_work_without_javascript(self, client):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        client.force_login(a)
        client.post(f"/messages/{conversation.pk}/send/", {"body": "**hi**", "client_id": str(uuid.uuid4())})
        message = Message.objects.get()
        client.post(f"/messages/{conversation.pk}/{message.pk}/edit/", {"body": "hello"})
        message.refresh_from_db()
        assert message.body == "hello"
        client.force_login(b)
        client.post(f"/messages/{conversation.pk}/{message.pk}/report/", {"reason": "rude"})
        assert Report.objects.get().reason == "rude"
        assert client.post(f"/messages/{conversation.pk}/{message.pk}/delete/").status_code == 302
        message.refresh_from_db()
        assert message.deleted_at is None  # not b's to delete
        too_long = client.post(f"/messages/{conversation.pk}/send/", {"body": "x" * 10_001}, follow=True)
        assert "at most 10,000 characters" in too_long.content.decode()

    def test_start_from_a_profile_and_contact_an_organisation(self, client):
        me, person = UserFactory(), UserFactory(profile_visibility="members")
        hidden = UserFactory(profile_visibility="colleagues")
        client.force_login(me)
        response = client.post("/messages/start/", {"user": person.pk})
        assert response.status_code == 302
        assert client.post("/messages/start/", {"user": person.pk})["Location"] == response["Location"]
        assert client.post("/messages/start/", {"user": hidden.pk}).status_code == 404
        org = organisation_with_admin()
        contact = client.post(f"/messages/contact/{org.slug}/")
        assert contact.status_code == 302
        assert "/messages/" in contact["Location"]

    def test_blocking(self, client):
        a, b = UserFactory(), UserFactory()
        client.force_login(b)
        client.post(f"/people/{a.pk}/block/")
        assert Block.objects.filter(blocker=b, blocked=a).exists()
        client.force_login(a)
        response = client.post("/messages/start/", {"user": b.pk}, follow=True)
        assert "You cannot message this person." in response.content.decode()

    def test_notifications_page_and_preferences(self, client):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        send(a, conversation)
        client.force_login(b)
        page = client.get("/notifications/")
        assert len(soup(page).select(".notification.unread")) == 1
        client.post("/notifications/read/")
        assert not Notification.objects.filter(read_at__isnull=True).exists()
        client.post("/accounts/notifications/", {"message": "off"})
        b.refresh_from_db()
        assert b.notification_preferences == {"message": "off"}
        bad = client.post("/accounts/notifications/", {"message": "telepathy"}, follow=True)
        assert "Unknown notification" in bad.content.decode()

    def test_moderators_see_reports_in_the_admin(self, client):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        message = send(a, conversation, "buy now")
        report = services.message_report(actor=b, message_id=message.pk, reason="spam")
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        listing = client.get("/admin/messaging/report/")
        assert "buy now" in listing.content.decode()
        client.post("/admin/messaging/report/", {"action": "resolve", "_selected_action": [report.pk]})
        report.refresh_from_db()
        assert report.status == "resolved"
        assert client.get("/admin/messaging/message/").status_code == 404


def test_people_search_for_a_new_conversation_respects_privacy(client):
    me = UserFactory()
    UserFactory(display_name="Ines Ferreira", job_title="QC lead")
    UserFactory(display_name="Ines Hidden", profile_visibility="colleagues")
    client.force_login(me)
    names = [li.get_text(" ", strip=True) for li in soup(client.get("/people/search/?q=ines")).select("li")]
    assert len(names) == 1
    assert names[0].startswith("IF Ines Ferreira")
    client.logout()
    assert client.get("/people/search/?q=ines").status_code == 302
