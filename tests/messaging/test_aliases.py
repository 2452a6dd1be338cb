"""Partnership discussions with a side under an alias: nothing names that side's people.

Side A ("The publisher of the call", two people of an organisation that stays
hidden) talks with side B (real names). Everything B can read is checked for
A's names, emails and user ids: the HTTP API, the conversation page, the inbox
and its search, the socket's frames (message.new, message.updated, sync.result,
typing, notification.new), the notifications and the unread-message email.
A's users get ids far from any other row's, so an id found anywhere is a leak
and not a coincidence. A still sees their own messages as their own. After the
reveal, new messages and the lists of people show real names; what was said
under the alias stays under it.
"""

import json
import re
import threading
import uuid

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.http import Http404
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.errors import NotAllowed, ServiceError
from messaging import services
from messaging.models import Conversation, Message, Notification, Participant
from tests.e2e.conftest import daphne_browser, daphne_server, screenshot  # noqa: F401 (fixtures)
from tests.factories import UserFactory, organisation_with_admin
from tests.messaging.realtime_helpers import (
    Socket,
    barrier_all,
    close_all,
    db,
    new_client_id,
    use_layer,
)

ALIAS = "The publisher of the call"
HIDDEN_ORG = "Quillfeather Biologics"
# Far above any id the sequences hand out in a test run: finding one is a leak.
A_IDS = (7_770_001, 7_770_002)


def make_sides() -> dict:
    ada = UserFactory(
        pk=A_IDS[0], display_name="Ada Quillfeather", email="ada.quill@quillfeather-bio.example"
    )
    anne = UserFactory(
        pk=A_IDS[1], display_name="Anne Vexley", email="anne.vex@quillfeather-bio.example"
    )
    organisation_with_admin(ada, name=HIDDEN_ORG)
    bob = UserFactory(display_name="Bob Novak", email="bob@uni-lab.example")
    bea = UserFactory(display_name="Bea Ortiz", email="bea@uni-lab.example")
    conversation = services.conversation_create_with_sides(
        title="", sides=[([ada.pk, anne.pk], ALIAS), ([bob.pk, bea.pk], "")]
    )
    return {"ada": ada, "anne": anne, "bob": bob, "bea": bea, "conversation": conversation}


def secrets_of(*users) -> list[str]:
    found = [HIDDEN_ORG]
    for u in users:
        found += [u.display_name, u.email, u.email.split("@")[0], str(u.pk)]
    return found


def assert_hidden(text, *users) -> None:
    """`text` (a page, an email, or JSON) names none of `users`, their organisation or ids."""
    if not isinstance(text, str):
        text = json.dumps(text, default=str)
    leaked = [s for s in secrets_of(*users) if s in text]
    assert not leaked, f"leaked {leaked}"


def send(actor, conversation, body):
    return services.message_send(
        actor=actor, conversation_id=conversation.pk, body=body, client_id=uuid.uuid4()
    )[0]


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.django_db
class TestSides:
    def test_a_person_on_two_sides_is_refused_and_nothing_is_created(self):
        a, b = UserFactory(), UserFactory()
        with pytest.raises(ServiceError):
            services.conversation_create_with_sides(
                title="", sides=[([a.pk, b.pk], ALIAS), ([b.pk], "")]
            )
        with pytest.raises(ServiceError):  # two sides under one alias would read as one
            services.conversation_create_with_sides(
                title="", sides=[([a.pk], ALIAS), ([b.pk], ALIAS)]
            )
        with pytest.raises(ServiceError):
            services.conversation_create_with_sides(
                title="", sides=[([a.pk], "x" * 81), ([b.pk], "")]
            )
        assert not Conversation.objects.exists()

    def test_inactive_users_are_skipped_and_aliases_set_per_side(self):
        a, gone, b = UserFactory(), UserFactory(is_active=False), UserFactory()
        conversation = services.conversation_create_with_sides(
            title="Call “Fill-finish”", sides=[([a.pk, gone.pk], f"  {ALIAS} "), ([b.pk, b.pk], "")]
        )
        assert conversation.kind == Conversation.Kind.PARTNERSHIP
        rows = dict(
            Participant.objects.filter(conversation=conversation).values_list("user_id", "alias")
        )
        assert rows == {a.pk: ALIAS, b.pk: ""}

    def test_sides_grow_and_shrink_without_crossing_over(self):
        s = make_sides()
        newcomer = UserFactory()
        services.conversation_add_to_side(
            conversation_id=s["conversation"].pk, user_ids=[newcomer.pk], alias=ALIAS
        )
        assert Participant.objects.get(conversation=s["conversation"], user=newcomer).alias == ALIAS
        with pytest.raises(ServiceError):  # Bob is on the other side
            services.conversation_add_to_side(
                conversation_id=s["conversation"].pk, user_ids=[s["bob"].pk], alias=ALIAS
            )
        services.conversation_remove_from_sides(
            conversation_id=s["conversation"].pk, user_ids=[newcomer.pk]
        )
        with pytest.raises(Http404):
            send(newcomer, s["conversation"], "still here?")

    def test_no_group_operation_can_name_or_reach_a_side(self):
        s = make_sides()
        # Leaving or removing would announce ids; renaming could name a side: none applies here.
        for call in (
            lambda: services.conversation_participant_remove(
                actor=s["ada"], conversation_id=s["conversation"].pk, user=s["ada"]
            ),
            lambda: services.conversation_participant_add(
                actor=s["bob"], conversation_id=s["conversation"].pk, user=UserFactory()
            ),
            lambda: services.conversation_rename(
                actor=s["bob"], conversation_id=s["conversation"].pk, title=s["ada"].display_name
            ),
        ):
            with pytest.raises(NotAllowed):
                call()


@pytest.mark.django_db
class TestWhatTheOtherSideReads:
    @pytest.fixture
    def talk(self, django_capture_on_commit_callbacks):
        s = make_sides()
        # Committed one side at a time: each side's unread email leaves before it answers.
        with django_capture_on_commit_callbacks(execute=True):
            s["ada_said"] = send(
                s["ada"], s["conversation"], "Our fill-finish capacity is 2,000 vials a day."
            )
            s["anne_said"] = send(s["anne"], s["conversation"], "Capacity opens in March.")
        with django_capture_on_commit_callbacks(execute=True):
            s["bob_said"] = send(
                s["bob"], s["conversation"], "Great, what about capacity for lyophilisation?"
            )
        return s

    def test_api(self, talk):
        ada, anne, bob = talk["ada"], talk["anne"], talk["bob"]
        api = api_as(bob)
        conversations = api.get("/api/v1/conversations/").json()
        detail = api.get(f"/api/v1/conversations/{talk['conversation'].pk}/").json()
        messages = api.get(f"/api/v1/conversations/{talk['conversation'].pk}/messages/").json()
        found = api.get("/api/v1/messages/search/", {"q": "capacity"}).json()
        for data in (conversations, detail, messages, found):
            assert_hidden(data, ada, anne)
        people = detail["participants"]
        assert {"id": None, "name": ALIAS, "alias": True} in people
        assert sorted(p["name"] for p in people) == sorted([ALIAS, "Bob Novak", "Bea Ortiz"])
        by_id = {m["id"]: m for m in messages["results"]}
        for said in (talk["ada_said"], talk["anne_said"]):
            assert (
                by_id[said.pk]["sender"],
                by_id[said.pk]["sender_name"],
                by_id[said.pk]["sender_alias"],
            ) == (None, ALIAS, ALIAS)
        assert (
            by_id[talk["bob_said"].pk]["sender"],
            by_id[talk["bob_said"].pk]["sender_name"],
        ) == (bob.pk, "Bob Novak")
        assert len(found["results"]) == 3
        assert {m["sender_name"] for m in found["results"]} == {ALIAS, "Bob Novak"}
        notes = api.get("/api/v1/notifications/").json()
        assert_hidden(notes, ada, anne)

    def test_pages(self, client, talk):
        ada, anne, bob = talk["ada"], talk["anne"], talk["bob"]
        conversation = talk["conversation"]
        client.force_login(bob)
        page = client.get(f"/messages/{conversation.pk}/")
        history = client.get(
            f"/messages/{conversation.pk}/?before={talk['bob_said'].pk}", HTTP_HX_REQUEST="true"
        )
        inbox = client.get("/messages/")
        search = client.get("/messages/", {"q": "capacity"})
        notifications = client.get("/notifications/")
        for response in (page, history, inbox, search, notifications):
            assert response.status_code == 200
            assert_hidden(response.content.decode(), ada, anne)
        html = soup(page)
        assert html.select_one("h1").get_text(strip=True) == f"{ALIAS}, Bea Ortiz"
        assert ALIAS in html.select_one("title").get_text()
        head = html.select_one(".conversation-head .meta")
        # No link for the alias: nothing to reach its people through.
        assert [a.get_text() for a in head.select("a")] == ["Bob Novak", "Bea Ortiz"]
        assert ALIAS in head.get_text()
        theirs = html.select_one(f"#m{talk['ada_said'].pk}")
        assert theirs.select_one("strong").get_text() == ALIAS
        assert theirs["data-sender"] == "" and "mine" not in theirs["class"]
        assert [s.get_text() for s in soup(history).select("li.message strong")] == [ALIAS, ALIAS]
        assert ALIAS in soup(inbox).select_one("[data-inbox] .conversation-label strong").get_text()
        assert len(soup(search).select("#h-results ~ ul .card")) == 3

    def test_notification_and_email(self, talk):
        ada, anne, bob = talk["ada"], talk["anne"], talk["bob"]
        note = Notification.objects.get(recipient=bob, kind="message")
        assert note.actor_id is None
        assert ALIAS in note.title
        assert_hidden(f"{note.title} {note.body}", ada, anne)
        emails = [m for m in mail.outbox if m.to == [bob.email]]
        assert len(emails) == 1
        assert ALIAS in emails[0].body
        assert_hidden(f"{emails[0].subject}\n{emails[0].body}", ada, anne)

    def test_the_aliased_side_sees_its_own_messages_as_its_own(self, client, talk):
        ada = talk["ada"]
        messages = (
            api_as(ada)
            .get(f"/api/v1/conversations/{talk['conversation'].pk}/messages/")
            .json()["results"]
        )
        mine = next(m for m in messages if m["id"] == talk["ada_said"].pk)
        assert (mine["sender"], mine["sender_name"], mine["sender_alias"]) == (
            ada.pk,
            "Ada Quillfeather",
            ALIAS,
        )
        # The simplest safe rule: her colleague is under the alias for her too.
        colleague = next(m for m in messages if m["id"] == talk["anne_said"].pk)
        assert (colleague["sender"], colleague["sender_name"]) == (None, ALIAS)
        assert_hidden(colleague, talk["anne"])
        client.force_login(ada)
        html = soup(client.get(f"/messages/{talk['conversation'].pk}/"))
        own = html.select_one(f"#m{talk['ada_said'].pk}")
        assert "mine" in own["class"] and own["data-sender"] == str(ada.pk)
        assert own.select_one("strong").get_text() == "Ada Quillfeather"
        assert ALIAS in html.select_one(".callout").get_text()
        # Ada's emails name Bob, not Anne.
        ada_emails = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox if m.to == [ada.email])
        assert "Bob Novak" in ada_emails
        assert_hidden(ada_emails, talk["anne"])

    def test_reveal_shows_real_names_from_then_on(
        self, client, talk, django_capture_on_commit_callbacks
    ):
        ada, bob = talk["ada"], talk["bob"]
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.conversation_reveal(conversation_id=talk["conversation"].pk)
        assert len(callbacks) == 4  # conversation.updated to each participant
        assert (
            not Participant.objects.filter(conversation=talk["conversation"])
            .exclude(alias="")
            .exists()
        )
        after = send(ada, talk["conversation"], "We are Quillfeather Biologics, by the way.")
        assert after.sender_alias == ""
        api = api_as(bob)
        messages = {
            m["id"]: m
            for m in api.get(f"/api/v1/conversations/{talk['conversation'].pk}/messages/").json()[
                "results"
            ]
        }
        assert (messages[after.pk]["sender"], messages[after.pk]["sender_name"]) == (
            ada.pk,
            "Ada Quillfeather",
        )
        # What was said under the alias stays under it.
        assert (
            messages[talk["ada_said"].pk]["sender"],
            messages[talk["ada_said"].pk]["sender_name"],
        ) == (None, ALIAS)
        people = api.get(f"/api/v1/conversations/{talk['conversation'].pk}/").json()["participants"]
        assert {p["name"] for p in people} == {
            "Ada Quillfeather",
            "Anne Vexley",
            "Bob Novak",
            "Bea Ortiz",
        }
        client.force_login(bob)
        html = soup(client.get(f"/messages/{talk['conversation'].pk}/"))
        assert "Ada Quillfeather" in [
            a.get_text() for a in html.select(".conversation-head .meta a")
        ]
        assert not html.select(".conversation-head .callout")


@pytest.fixture
def redis_layer(settings):
    yield from use_layer("redis", settings)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_socket_frames_mask_the_side_until_it_reveals_itself(redis_layer):
    s = await db(make_sides)
    ada, anne, bob, conversation = s["ada"], s["anne"], s["bob"], s["conversation"]
    ada_tab, bob_tab = await Socket.open(ada, name="ada"), await Socket.open(bob, name="bob")
    seen_by_bob: list[dict] = []

    async def bob_expects(kind: str, **fields) -> dict:
        frame = await bob_tab.expect(kind, **fields)
        seen_by_bob.append(frame)
        return frame

    try:
        # Ada writes: her ack and her own echo are hers; Bob reads the alias.
        client_id = new_client_id()
        await ada_tab.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "2,000 vials a day.",
                "client_id": client_id,
            }
        )
        ack = await ada_tab.expect("message.ack", client_id=client_id)
        assert (ack["message"]["sender"], ack["message"]["sender_name"]) == (
            ada.pk,
            "Ada Quillfeather",
        )
        echo = await ada_tab.expect("message.new")
        assert echo["message"]["sender"] == ada.pk
        first = (await bob_expects("message.new"))["message"]
        assert (first["sender"], first["sender_name"], first["body"]) == (
            None,
            ALIAS,
            "2,000 vials a day.",
        )
        note = (await bob_expects("notification.new"))["notification"]
        assert note["actor"] is None and ALIAS in note["title"]

        # Typing carries the alias only.
        await ada_tab.send({"type": "typing", "conversation": conversation.pk})
        typing = await bob_expects("typing")
        assert (typing["user"], typing["name"]) == (None, ALIAS)

        # An edit, and a catch-up after a reconnect.
        await ada_tab.send(
            {"type": "message.edit", "message": first["id"], "body": "2,500 vials a day."}
        )
        updated = (await bob_expects("message.updated"))["message"]
        assert (updated["sender"], updated["sender_name"]) == (None, ALIAS)
        assert (await ada_tab.expect("message.updated"))["message"]["sender"] == ada.pk
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": 0})
        synced = (await bob_expects("sync.result"))["messages"]
        assert [(m["sender"], m["sender_name"]) for m in synced] == [(None, ALIAS)]
        await ada_tab.send({"type": "sync", "conversation": conversation.pk, "after": 0})
        assert [m["sender"] for m in (await ada_tab.expect("sync.result"))["messages"]] == [ada.pk]
        await barrier_all([ada_tab, bob_tab])
        assert_hidden(seen_by_bob, ada, anne)

        # The reveal: open pages hear it; from now on Ada's name shows.
        await db(services.conversation_reveal, conversation_id=conversation.pk)
        await bob_expects("conversation.updated", conversation=conversation.pk)
        await ada_tab.expect("conversation.updated", conversation=conversation.pk)
        client_id = new_client_id()
        await ada_tab.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "We are Quillfeather.",
                "client_id": client_id,
            }
        )
        await ada_tab.expect("message.ack", client_id=client_id)
        second = (await bob_expects("message.new"))["message"]
        assert (second["sender"], second["sender_name"]) == (ada.pk, "Ada Quillfeather")
        await ada_tab.send({"type": "typing", "conversation": conversation.pk})
        assert (await bob_expects("typing"))["user"] == ada.pk
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": 0})
        synced = (await bob_expects("sync.result"))["messages"]
        assert [m["sender_name"] for m in synced] == [ALIAS, "Ada Quillfeather"]
        await barrier_all([ada_tab, bob_tab], ignore=("message.new", "notification.new"))
        stored = await db(
            lambda: list(
                Message.objects.filter(conversation=conversation)
                .order_by("id")
                .values_list("sender_alias", flat=True)
            )
        )
        assert stored == [ALIAS, ""]
    finally:
        await close_all([ada_tab, bob_tab])


def _in_a_thread(func, **kwargs) -> None:
    """Runs an ORM call while Playwright holds this thread (stack note 9)."""
    from django.db import connections

    def run():
        try:
            func(**kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.redis
def test_browser_alias_then_reveal(daphne_browser):  # noqa: F811 (the fixture imported above)
    """Bob reads "The publisher of the call" live, in messages and typing; Ada reads her own
    name; the reveal refreshes Bob's list of people without a reload."""
    from playwright.sync_api import expect

    s = make_sides()  # data first, Playwright after
    ada, anne, bob = s["ada"], s["anne"], s["bob"]
    send(
        s["bea"],
        s["conversation"],
        "Hello, we are the Uni Lab team: **thank you** for considering our response.",
    )
    url = f"/messages/{s['conversation'].pk}/"
    ada_page, bob_page = daphne_browser(), daphne_browser()
    for page, user in ((ada_page, ada), (bob_page, bob)):
        page.goto("/accounts/login/")
        page.get_by_label("Email:").fill(user.email)
        page.get_by_label("Password:").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator(".user-menu .who")).to_be_visible()
        page.goto(url)
        expect(page.locator("body")).to_have_attribute("data-connected", "1")

    composer = ada_page.get_by_label(re.compile(r"^Your message"))
    composer.fill("We can fill 2,000 vials a day from March.")
    expect(bob_page.locator("[data-typing]")).to_have_text(f"{ALIAS} is typing…")
    composer.press("Enter")
    mine = ada_page.locator("#messages li.message.mine").last
    expect(mine.locator(".delivery")).to_have_text("Sent")
    expect(mine.locator("[data-slot=sender]")).to_have_text("Ada Quillfeather")
    theirs = bob_page.locator("#messages li.message", has_text="2,000 vials a day")
    expect(theirs).to_be_visible()
    expect(theirs.locator("[data-slot=sender]")).to_have_text(ALIAS)
    expect(bob_page.locator("[data-typing]")).to_be_empty()
    assert_hidden(bob_page.content(), ada, anne)
    screenshot(bob_page, "conversation-alias-other-side")
    screenshot(ada_page, "conversation-alias-own-side")

    _in_a_thread(services.conversation_reveal, conversation_id=s["conversation"].pk)
    expect(
        bob_page.locator(".conversation-head .meta a", has_text="Ada Quillfeather")
    ).to_be_visible()
    expect(bob_page.locator(".conversation-head .callout")).to_have_count(0)
    composer.fill("And we are Quillfeather Biologics.")
    composer.press("Enter")
    expect(
        bob_page.locator("#messages li.message").last.locator("[data-slot=sender]")
    ).to_have_text("Ada Quillfeather")
    # Said under the alias, it stays so.
    expect(theirs.locator("[data-slot=sender]")).to_have_text(ALIAS)
    screenshot(bob_page, "conversation-alias-revealed")
