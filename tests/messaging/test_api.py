import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging import services
from messaging.models import Message, Notification
from tests.factories import UserFactory
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def post_message(client, conversation_id, body="hello", client_id=None):
    return client.post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"body": body, "client_id": str(client_id or uuid.uuid4())},
        format="json",
    )


class TestConversations:
    def test_direct_conversation_is_reused(self):
        a, b = UserFactory(), UserFactory()
        first = as_user(a).post("/api/v1/conversations/", {"participants": [b.pk]}, format="json")
        assert first.status_code == 201
        again = as_user(b).post("/api/v1/conversations/", {"participants": [a.pk]}, format="json")
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert {p["id"] for p in first.json()["participants"]} == {a.pk, b.pk}

    def test_bad_participants(self):
        a = UserFactory()
        client = as_user(a)
        assert client.post("/api/v1/conversations/", {"participants": []}, format="json").status_code == 400
        assert client.post("/api/v1/conversations/", {"participants": [999999]}, format="json").status_code == 400
        assert client.post("/api/v1/conversations/", {"participants": [a.pk]}, format="json").status_code == 400
        assert client.post("/api/v1/conversations/", {"participants": "x"}, format="json").status_code == 400

    def test_list_has_unread_and_no_n_plus_one(self):
        me = UserFactory()
        client = as_user(me)
        counts = []
        for n in (2, 20):
            for _ in range(n - (2 if n == 20 else 0)):
                other = UserFactory()
                conversation, _ = services.conversation_direct_get_or_create(actor=other, other=me)
                services.message_send(actor=other, conversation_id=conversation.pk, body="hi", client_id=uuid.uuid4())
            count, response = queries_for(lambda: client.get("/api/v1/conversations/?page_size=100"))
            counts.append(count)
        results = response.json()["results"]
        assert len(results) == 20
        assert all(r["unread"] == 1 for r in results)
        assert counts[0] == counts[1], counts

    def test_anonymous_is_401(self):
        api = APIClient()
        for path in ("/api/v1/conversations/", "/api/v1/conversations/1/messages/", "/api/v1/notifications/"):
            assert api.get(path).status_code == 401


class TestMessages:
    def setup_conversation(self):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        return a, b, conversation

    def test_send_is_idempotent(self):
        a, _b, conversation = self.setup_conversation()
        client_id = uuid.uuid4()
        first = post_message(as_user(a), conversation.pk, "once", client_id)
        again = post_message(as_user(a), conversation.pk, "once", client_id)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json() == again.json()
        assert Message.objects.count() == 1

    def test_after_returns_what_was_missed_in_order(self):
        a, b, conversation = self.setup_conversation()
        ids = [post_message(as_user(a if i % 2 else b), conversation.pk, f"m{i}").json()["id"] for i in range(5)]
        response = as_user(b).get(f"/api/v1/conversations/{conversation.pk}/messages/?after={ids[1]}")
        assert [m["id"] for m in response.json()["results"]] == ids[2:]
        everything = as_user(b).get(f"/api/v1/conversations/{conversation.pk}/messages/?after=0").json()
        assert [m["id"] for m in everything["results"]] == ids
        page = as_user(b).get(f"/api/v1/conversations/{conversation.pk}/messages/?before={ids[3]}&limit=2").json()
        assert [m["id"] for m in page["results"]] == ids[1:3]
        assert page["has_more"] is True
        assert as_user(b).get(f"/api/v1/conversations/{conversation.pk}/messages/?after=x").status_code == 400

    def test_denial_grid(self):
        creator, member, outsider = UserFactory(), UserFactory(), UserFactory()
        group = services.conversation_group_create(actor=creator, participants=[member])
        message = post_message(as_user(creator), group.pk, "confidential").json()
        removed = UserFactory()
        services.conversation_participant_add(actor=creator, conversation_id=group.pk, user=removed)
        services.conversation_participant_remove(actor=creator, conversation_id=group.pk, user=removed)
        base = f"/api/v1/conversations/{group.pk}"
        for stranger in (outsider, removed):
            client = as_user(stranger)
            assert client.get(f"{base}/").status_code == 404
            assert client.get(f"{base}/messages/?after=0").status_code == 404
            assert post_message(client, group.pk).status_code == 404
            assert client.post(f"{base}/read/", {"up_to": message["id"]}, format="json").status_code == 404
            assert client.patch(f"{base}/messages/{message['id']}/", {"body": "x"}, format="json").status_code == 404
            assert client.get("/api/v1/messages/search/?q=confidential").json()["results"] == []
            assert group.pk not in [c["id"] for c in client.get("/api/v1/conversations/").json()["results"]]
        assert as_user(member).patch(f"{base}/messages/{message['id']}/", {"body": "x"}, format="json").status_code == 403
        assert as_user(member).delete(f"{base}/messages/{message['id']}/").status_code == 403
        assert Message.objects.get().body == "confidential"

    def test_limits_and_bad_input(self):
        a, _b, conversation = self.setup_conversation()
        client = as_user(a)
        too_long = post_message(client, conversation.pk, "x" * 10_001)
        assert too_long.status_code == 400
        assert too_long.json()["code"] == "too_large"
        assert post_message(client, conversation.pk, "   ").status_code == 400
        bad_id = client.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "x", "client_id": "nope"}, format="json")
        assert bad_id.status_code == 400
        assert client.post(f"/api/v1/conversations/{conversation.pk}/messages/", "{", content_type="application/json").status_code == 400
        assert not Message.objects.exists()

    def test_edit_delete_and_read(self):
        a, b, conversation = self.setup_conversation()
        message = post_message(as_user(a), conversation.pk, "draft").json()
        url = f"/api/v1/conversations/{conversation.pk}/messages/{message['id']}/"
        edited = as_user(a).patch(url, {"body": "final"}, format="json").json()
        assert edited["body"] == "final"
        assert edited["edited_at"]
        deleted = as_user(a).delete(url).json()
        assert deleted["deleted"] is True
        assert deleted["body"] == ""
        read = as_user(b).post(f"/api/v1/conversations/{conversation.pk}/read/", {"up_to": message["id"]}, format="json")
        assert read.json() == {"up_to": message["id"]}
        back = as_user(b).post(f"/api/v1/conversations/{conversation.pk}/read/", {"up_to": 0}, format="json")
        assert back.json() == {"up_to": message["id"]}

    def test_search_in_my_messages(self):
        a, b, conversation = self.setup_conversation()
        post_message(as_user(a), conversation.pk, "Fill-finish capacity in Q3?")
        post_message(as_user(b), conversation.pk, "Yes, for viral vectors")
        results = as_user(b).get("/api/v1/messages/search/?q=CAPACITY").json()["results"]
        assert [r["body"] for r in results] == ["Fill-finish capacity in Q3?"]


class TestNotifications:
    def test_list_and_mark_read(self):
        a, b = UserFactory(), UserFactory()
        conversation, _ = services.conversation_direct_get_or_create(actor=a, other=b)
        post_message(as_user(a), conversation.pk, "ping")
        client = as_user(b)
        notes = client.get("/api/v1/notifications/").json()
        assert notes["count"] == 1
        assert notes["results"][0]["kind"] == "message"
        assert notes["results"][0]["read"] is False
        assert client.get("/api/v1/notifications/counts/").json() == {"messages": 1, "notifications": 1}
        assert as_user(a).get("/api/v1/notifications/").json()["count"] == 0
        marked = client.post("/api/v1/notifications/read/", {}, format="json").json()
        assert marked == {"marked": 1, "unread": 0}
        assert Notification.objects.get().read_at is not None
        assert client.post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json").status_code == 400
