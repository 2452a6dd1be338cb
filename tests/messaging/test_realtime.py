"""Messaging over the WebSocket gateway: the guarantees of DESIGN.md, "Real time".

Stored before announced; idempotent resends; ordered ids with `prev_id` chaining and
`sync`; access checked for every command and every event's audience; limits. Each
test that depends on the channel layer runs on the in-memory layer and on Redis
pub/sub (production's); the limits run on whatever backs the rate limiter and the
socket counter in this run (memory under SQLite, Redis when REDIS_URL is set).

Tests are few and each tells a whole story: every transactional test costs a
flush of the database (about 2 s on PostgreSQL here), and this file must stay
under a minute.
"""

import asyncio
import time
import types
import uuid

import pytest
from channels.layers import get_channel_layer
from django.db import connections, transaction
from django.test import Client as HttpClient

from community.events import user_group
from messaging import ratelimit, services
from messaging.consumers import GatewayConsumer
from messaging.models import MAX_BODY_CHARS, Message, Notification, Participant
from tests.messaging.realtime_helpers import (
    LAYERS,
    Socket,
    anonymous_handshake,
    assert_message_shape,
    barrier_all,
    close_all,
    db,
    make_users,
    new_client_id,
    use_layer,
)

transactional = pytest.mark.django_db(transaction=True)
NOTIFICATIONS = ("notification.new",)


@pytest.fixture(params=LAYERS)
def layer(request, settings):
    yield from use_layer(request.param, settings)


# Data, built through the services so the participation rows are the real ones.


async def group_of(creator, others, title="Fill-finish network"):
    return await db(
        services.conversation_group_create, actor=creator, participants=others, title=title
    )


async def direct(a, b):
    conversation, _created = await db(services.conversation_direct_get_or_create, actor=a, other=b)
    return conversation


async def count_messages(**lookup) -> int:
    return await db(lambda: Message.objects.filter(**lookup).count())


async def send_over(socket: Socket, conversation_id: int, body: str, client_id=None) -> dict:
    """message.send over `socket`; returns the ack's message."""
    client_id = client_id or new_client_id()
    await socket.send(
        {
            "type": "message.send",
            "conversation": conversation_id,
            "body": body,
            "client_id": client_id,
        }
    )
    ack = await socket.expect("message.ack", client_id=client_id)
    return ack["message"]


def _exists_on_another_connection(message_id: int) -> bool:
    try:
        return Message.objects.filter(pk=message_id).exists()
    finally:
        connections.close_all()


@pytest.fixture
def announcements(layer):
    """Records, for every message.new the layer publishes, whether the row was already
    committed: visible at that moment from a connection of another thread."""
    seen: dict[int, list[bool]] = {}
    channel_layer = get_channel_layer()
    group_send = channel_layer.group_send

    async def spy(group, event):
        payload = event.get("payload", {})
        if payload.get("type") == "message.new":
            message_id = payload["message"]["id"]
            visible = await asyncio.to_thread(_exists_on_another_connection, message_id)
            seen.setdefault(message_id, []).append(visible)
        await group_send(group, event)

    channel_layer.group_send = spy
    return seen


def _send_then_roll_back(actor, conversation_id) -> None:
    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            services.message_send(
                actor=actor,
                conversation_id=conversation_id,
                body="never said",
                client_id=uuid.uuid4(),
            )
            raise RolledBack
    except RolledBack:
        pass


# Sending


@transactional
async def test_send_is_stored_acked_announced_once_and_chained(layer, announcements):
    alice, bob, dave, carol = await make_users(4)  # dave is in, with no socket; carol is not
    conversation = await group_of(alice, [bob, dave])
    alice_tab, alice_api = (
        await Socket.open(alice, name="alice tab"),
        await Socket.open(alice, via="token", name="alice api"),
    )
    bob_tab, carol_tab = await Socket.open(bob, name="bob"), await Socket.open(carol, name="carol")
    participants = [alice_tab, alice_api, bob_tab]
    try:
        client_id = new_client_id()
        sent = await send_over(alice_tab, conversation.pk, "**Viral vectors** at 200 L?", client_id)
        row = await db(Message.objects.get, sender=alice, client_id=client_id)
        assert_message_shape(sent, row)
        assert "<strong>Viral vectors</strong>" in sent["body_html"]
        for socket in participants:  # both of alice's sockets, and bob's
            new = await socket.expect("message.new")
            assert new["message"] == {**sent, "prev_id": 0}

        reply = await send_over(bob_tab, conversation.pk, "Yes, from March.")
        for socket in participants:
            new = await socket.expect("message.new")
            assert new["message"] == {**reply, "prev_id": sent["id"]}
        assert reply["id"] > sent["id"]

        # A resend (say, after a reconnect) from the other socket: the same message,
        # acknowledged again, announced to nobody, stored once.
        again = await send_over(
            alice_api, conversation.pk, "**Viral vectors** at 200 L?", client_id
        )
        assert again == sent
        await barrier_all([*participants, carol_tab], ignore=NOTIFICATIONS)
        assert await count_messages(conversation=conversation) == 2

        # A send rolled back after storing announces nothing.
        await db(_send_then_roll_back, alice, conversation.pk)
        await barrier_all([*participants, carol_tab], ignore=NOTIFICATIONS)
        assert await count_messages(conversation=conversation) == 2

        # The next message chains to the last stored one: no gap for anybody.
        third = await send_over(alice_api, conversation.pk, "Shall we call?")
        for socket in participants:
            assert (await socket.expect("message.new"))["message"]["prev_id"] == reply["id"]
        await barrier_all([*participants, carol_tab], ignore=NOTIFICATIONS)

        # Every announcement (one per participant) left after its row had committed.
        assert announcements == {m["id"]: [True] * 3 for m in (sent, reply, third)}
    finally:
        await close_all([*participants, carol_tab])


def _send_many(actor, conversation_id, n: int) -> list[int]:
    return [
        services.message_send(
            actor=actor, conversation_id=conversation_id, body=f"batch {i}", client_id=uuid.uuid4()
        )[0].pk
        for i in range(n)
    ]


def _http_after(user, conversation_id: int, after: int) -> dict:
    http = HttpClient()
    http.force_login(user)
    response = http.get(f"/api/v1/conversations/{conversation_id}/messages/?after={after}")
    assert response.status_code == 200
    return response.json()


@transactional
async def test_reconnecting_client_syncs_exactly_what_it_missed_in_order(layer):
    alice, bob = await make_users(2)
    conversation = await direct(alice, bob)
    alice_tab, bob_tab = await Socket.open(alice), await Socket.open(bob)
    try:
        seen = [await send_over(alice_tab, conversation.pk, f"live {i}") for i in range(3)]
        for message in seen:
            assert (await bob_tab.expect("message.new"))["message"]["id"] == message["id"]
        last_seen = seen[-1]["id"]
        await bob_tab.close()

        missed = await db(_send_many, alice, conversation.pk, 55)  # bob is offline
        bob_tab = await Socket.open(bob)
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": last_seen})
        page = await bob_tab.expect("sync.result")
        assert page["conversation"] == conversation.pk
        assert page["has_more"] is True
        assert [m["id"] for m in page["messages"]] == missed[:50]
        rows = await db(lambda: {m.pk: m for m in Message.objects.filter(pk__in=missed)})
        for message in page["messages"]:
            assert_message_shape(message, rows[message["id"]])
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": missed[49]})
        rest = await bob_tab.expect("sync.result")
        assert ([m["id"] for m in rest["messages"]], rest["has_more"]) == (missed[50:], False)
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": missed[-1]})
        assert (await bob_tab.expect("sync.result"))["messages"] == []

        # The HTTP list with ?after= says the same; after=0 is from the start.
        http_page = await db(_http_after, bob, conversation.pk, last_seen)
        assert [m["id"] for m in http_page["results"]] == missed[:50] and http_page["has_more"]
        await bob_tab.send({"type": "sync", "conversation": conversation.pk, "after": 0})
        start = await bob_tab.expect("sync.result")
        assert [m["id"] for m in start["messages"]] == [m["id"] for m in seen] + missed[:47]

        # Live again: the next message chains to the last one synced.
        live = await send_over(alice_tab, conversation.pk, "back online?")
        new = await bob_tab.expect("message.new")
        assert (new["message"]["id"], new["message"]["prev_id"]) == (live["id"], missed[-1])
    finally:
        await close_all([alice_tab, bob_tab])


# Read marks, typing, edits and deletions: each event reaches exactly its audience.


@transactional
async def test_read_typing_edit_and_delete_reach_exactly_their_audience(layer):
    alice, bob, eve = await make_users(3)
    conversation = await group_of(alice, [bob])
    alice_1, alice_2 = (
        await Socket.open(alice, name="alice 1"),
        await Socket.open(alice, via="token", name="alice 2"),
    )
    bob_tab, eve_tab = await Socket.open(bob, name="bob"), await Socket.open(eve, name="eve")
    everyone = [alice_1, alice_2, bob_tab, eve_tab]
    try:
        first = await send_over(alice_1, conversation.pk, "Draft agenda")
        second = await send_over(bob_tab, conversation.pk, "Looks good")
        await barrier_all(everyone, ignore=("message.new", *NOTIFICATIONS))

        # read: the mark moves, and the reader's own sockets (only) hear of it.
        await alice_1.send({"type": "read", "conversation": conversation.pk, "up_to": second["id"]})
        for socket in (alice_1, alice_2):
            event = await socket.expect("conversation.read")
            assert event == {
                "type": "conversation.read",
                "conversation": conversation.pk,
                "up_to": second["id"],
            }
        await barrier_all(everyone)
        # Never back, never past the last message: nothing moves, nobody hears anything.
        await alice_2.send({"type": "read", "conversation": conversation.pk, "up_to": first["id"]})
        await alice_2.send(
            {"type": "read", "conversation": conversation.pk, "up_to": second["id"] + 10**6}
        )
        await alice_2.ping()
        await barrier_all(everyone)
        marks = await db(
            lambda: dict(
                Participant.objects.filter(conversation=conversation).values_list(
                    "user", "last_read_id"
                )
            )
        )
        assert marks == {alice.pk: second["id"], bob.pk: second["id"]}

        # typing reaches the others, not the typist, not outsiders.
        await bob_tab.send({"type": "typing", "conversation": conversation.pk})
        for socket in (alice_1, alice_2):
            typing = await socket.expect("typing")
            assert (typing["conversation"], typing["user"]) == (conversation.pk, bob.pk)
        await barrier_all(everyone)

        # edit and delete: the author's, announced to every participant's socket.
        await alice_2.send(
            {"type": "message.edit", "message": first["id"], "body": "Final _agenda_"}
        )
        for socket in (alice_1, alice_2, bob_tab):
            updated = (await socket.expect("message.updated"))["message"]
            assert (updated["id"], updated["body"], updated["edited_at"] is not None) == (
                first["id"],
                "Final _agenda_",
                True,
            )
            assert "<em>agenda</em>" in updated["body_html"]
        await barrier_all(everyone)

        # Someone else's message: refused, unchanged, nothing announced.
        for frame in (
            {"type": "message.edit", "message": first["id"], "body": "hijacked"},
            {"type": "message.delete", "message": first["id"]},
        ):
            await bob_tab.send(frame)
            await bob_tab.expect_error("invalid")
        await barrier_all(everyone)
        row = await db(Message.objects.get, pk=first["id"])
        assert (row.body, row.deleted_at) == ("Final _agenda_", None)

        await alice_1.send({"type": "message.delete", "message": first["id"]})
        for socket in (alice_1, alice_2, bob_tab):
            deleted = (await socket.expect("message.updated"))["message"]
            assert (deleted["id"], deleted["deleted"], deleted["body"], deleted["body_html"]) == (
                first["id"],
                True,
                "",
                "",
            )
        await alice_1.send({"type": "message.edit", "message": first["id"], "body": "undelete?"})
        await alice_1.expect_error("invalid")
        await barrier_all(everyone)
    finally:
        await close_all(everyone)


# Access


@transactional
async def test_an_outsider_is_told_not_found_exactly_as_for_a_missing_conversation():
    alice, bob, eve = await make_users(3)
    conversation = await group_of(alice, [bob])
    message, _ = await db(
        services.message_send,
        actor=alice,
        conversation_id=conversation.pk,
        body="Confidential: batch record",
        client_id=uuid.uuid4(),
    )
    missing_conversation, missing_message = conversation.pk + 10**6, message.pk + 10**6
    alice_tab, eve_tab = await Socket.open(alice), await Socket.open(eve)
    try:
        for kind, target, fields in [
            ("message.send", "conversation", {"body": "let me in", "client_id": None}),
            ("sync", "conversation", {"after": 0}),
            ("read", "conversation", {"up_to": message.pk}),
            ("typing", "conversation", {}),
            ("message.edit", "message", {"body": "defaced"}),
            ("message.delete", "message", {}),
        ]:
            answers = []
            for value in (
                conversation.pk if target == "conversation" else message.pk,
                missing_conversation if target == "conversation" else missing_message,
            ):
                frame = {"type": kind, target: value, **fields}
                if "client_id" in frame:
                    frame["client_id"] = new_client_id()
                await eve_tab.send(frame)
                error = await eve_tab.expect_error("not_found")
                if "client_id" in frame:
                    assert error.pop("client_id") == frame["client_id"]
                answers.append(error)
            assert answers[0] == answers[1], f"{kind}: an outsider can tell the conversation exists"

        # Nothing stored, nothing changed, and the participants heard nothing of it.
        await barrier_all([alice_tab, eve_tab])
        assert await count_messages() == 1
        row = await db(Message.objects.get, pk=message.pk)
        assert (row.body, row.edited_at, row.deleted_at) == (
            "Confidential: batch record",
            None,
            None,
        )
        assert not await db(lambda: Participant.objects.filter(user=eve).exists())
    finally:
        await close_all([alice_tab, eve_tab])


@transactional
async def test_a_removed_participant_stops_receiving_at_once_on_every_socket(layer):
    alice, bob, carol = await make_users(3)
    conversation = await group_of(alice, [bob, carol])
    alice_tab, carol_tab = (
        await Socket.open(alice, name="alice"),
        await Socket.open(carol, name="carol"),
    )
    bob_tabs = [
        await Socket.open(bob, name="bob tab"),
        await Socket.open(bob, via="token", name="bob api"),
    ]
    try:
        before = await send_over(alice_tab, conversation.pk, "Welcome, both of you")
        for socket in (alice_tab, *bob_tabs, carol_tab):
            assert (await socket.expect("message.new"))["message"]["id"] == before["id"]
        await barrier_all([alice_tab, *bob_tabs, carol_tab], ignore=NOTIFICATIONS)

        await db(
            services.conversation_participant_remove,
            actor=alice,
            conversation_id=conversation.pk,
            user=bob,
        )
        for socket in bob_tabs:
            assert await socket.expect("conversation.removed") == {
                "type": "conversation.removed",
                "conversation": conversation.pk,
            }
        for socket in (alice_tab, carol_tab):
            left = await socket.expect("conversation.left")
            assert (left["conversation"], left["user"]) == (conversation.pk, bob.pk)

        after = await send_over(alice_tab, conversation.pk, "Now between us")
        assert (await carol_tab.expect("message.new"))["message"]["id"] == after["id"]
        await carol_tab.send({"type": "typing", "conversation": conversation.pk})
        await alice_tab.expect("typing")
        await db(services.message_edit, actor=alice, message_id=before["id"], body="Welcome")
        await carol_tab.expect("message.updated")
        # Nothing of the conversation reaches either of bob's sockets any more.
        await barrier_all(bob_tabs, ignore=())

        # And bob can neither send nor read nor type there.
        client_id = new_client_id()
        await bob_tabs[0].send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "wait!",
                "client_id": client_id,
            }
        )
        await bob_tabs[0].expect_error("not_found", client_id=client_id)
        for frame in (
            {"type": "sync", "conversation": conversation.pk, "after": before["id"]},
            {"type": "read", "conversation": conversation.pk, "up_to": after["id"]},
            {"type": "typing", "conversation": conversation.pk},
        ):
            await bob_tabs[1].send(frame)
            await bob_tabs[1].expect_error("not_found")
        await barrier_all(bob_tabs)
        assert await count_messages(conversation=conversation) == 2
    finally:
        await close_all([alice_tab, carol_tab, *bob_tabs])


@pytest.mark.django_db  # the session lookup's thread hop checks its connection
async def test_an_anonymous_handshake_is_refused():
    ok, _code = await anonymous_handshake()
    assert not ok


# Limits


@transactional
async def test_oversized_and_malformed_frames_store_nothing():
    alice, bob = await make_users(2)
    conversation = await direct(alice, bob)
    alice_tab = await Socket.open(alice)
    try:
        client_id = new_client_id()
        await alice_tab.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "x" * (MAX_BODY_CHARS + 1),
                "client_id": client_id,
            }
        )
        await alice_tab.expect_error("too_large", client_id=client_id)
        assert await count_messages() == 0
        at_limit = await send_over(alice_tab, conversation.pk, "é" * MAX_BODY_CHARS)
        assert len(at_limit["body"]) == MAX_BODY_CHARS

        c, cid = conversation.pk, new_client_id()
        for frame in [
            {"type": "message.send"},
            {"type": "message.send", "conversation": c, "body": "no client_id"},
            {"type": "message.send", "conversation": c, "client_id": cid},
            {
                "type": "message.send",
                "conversation": str(c),
                "body": "id as text",
                "client_id": cid,
            },
            {"type": "message.send", "conversation": True, "body": "id as bool", "client_id": cid},
            {"type": "message.send", "conversation": -1, "body": "negative", "client_id": cid},
            {"type": "message.send", "conversation": c, "body": 5, "client_id": cid},
            {"type": "message.send", "conversation": c, "body": ["a"], "client_id": cid},
            {"type": "message.send", "conversation": c, "body": "x", "client_id": 12345},
            {"type": "message.send", "conversation": c, "body": "x", "client_id": "not-a-uuid"},
            {"type": "message.send", "conversation": c, "body": "   \n ", "client_id": cid},
            {"type": "sync", "conversation": c},
            {"type": "sync", "conversation": c, "after": "0"},
            {"type": "sync", "conversation": c, "after": -1},
            {"type": "read", "conversation": c},
            {"type": "typing"},
            {"type": "message.edit", "message": "1", "body": "x"},
            {"type": "message.edit", "message": at_limit["id"]},
            {"type": "message.delete"},
            # PostgreSQL cannot store NUL: refused, not a crashed socket (1011).
            {"type": "message.send", "conversation": c, "body": "a\x00b", "client_id": cid},
            {"type": "message.edit", "message": at_limit["id"], "body": "a\x00b"},
        ]:
            await alice_tab.send(frame)
            await alice_tab.expect_error("invalid")
        # A lone surrogate, as JSON.stringify escapes one: no text any database or renderer takes.
        await alice_tab.send_text(
            f'{{"type": "message.send", "conversation": {c}, "body": "a\\ud800b", "client_id": "{cid}"}}'
        )
        await alice_tab.expect_error("invalid")
        await alice_tab.ping()
        assert await count_messages() == 1
        # A surrogate pair escaped the same way is one character, and fine.
        await alice_tab.send_text(
            f'{{"type": "message.send", "conversation": {c}, "body": "\\ud83e\\uddec", "client_id": "{cid}"}}'
        )
        assert (await alice_tab.expect("message.ack", client_id=cid))["message"][
            "body"
        ] == "\N{DNA DOUBLE HELIX}"
        assert await count_messages() == 2

        # A frame over 64 KiB closes the socket with 1009, whatever it holds.
        await alice_tab.send(
            {
                "type": "message.send",
                "conversation": c,
                "body": "y" * 70_000,
                "client_id": new_client_id(),
            }
        )
        await alice_tab.expect_close(1009)
        assert await count_messages() == 2
    finally:
        await alice_tab.close()


@transactional
async def test_rate_limit_acknowledges_the_burst_refuses_the_rest_and_closes_a_flood(monkeypatch):
    from messaging.consumers import FLOOD_CLOSE_AFTER

    clock = [time.time()]
    # "The same instant" for the token bucket (memory or Redis: both take the time from here).
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: clock[0]))
    alice, bob = await make_users(2)
    conversation = await direct(alice, bob)
    burst = 20  # settings.MESSAGE_RATE_BURST
    flood = burst + FLOOD_CLOSE_AFTER
    client_ids = [new_client_id() for _ in range(flood)]
    alice_tab = await Socket.open(alice)
    try:
        for n, client_id in enumerate(client_ids):
            await alice_tab.send(
                {
                    "type": "message.send",
                    "conversation": conversation.pk,
                    "body": f"spam {n}",
                    "client_id": client_id,
                }
            )
        # The 50th refusal in a row closes the socket: the client is abusive.
        await alice_tab.expect_close(4008)
        acks = alice_tab.take_stash("message.ack")
        errors = alice_tab.take_stash("error")
        assert [a["client_id"] for a in acks] == client_ids[:burst]
        assert [(e["code"], e["client_id"]) for e in errors] == [
            ("rate_limited", c) for c in client_ids[burst:]
        ]
        # Nothing stored beyond what was acknowledged.
        stored = await db(
            lambda: sorted(str(c) for c in Message.objects.values_list("client_id", flat=True))
        )
        assert stored == sorted(a["client_id"] for a in acks)
    finally:
        await alice_tab.close()

    # A second later, 5 more (the rate is per user, whichever socket sends).
    clock[0] += 1
    tabs = [await Socket.open(alice), await Socket.open(alice, via="token")]
    try:
        for n in range(5):
            await send_over(tabs[n % 2], conversation.pk, f"calm {n}")
        client_id = new_client_id()
        await tabs[1].send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "one more",
                "client_id": client_id,
            }
        )
        await tabs[1].expect_error("rate_limited", client_id=client_id)
        await tabs[1].ping()  # refused, not closed
        assert await count_messages() == burst + 5
    finally:
        await close_all(tabs)


@transactional
async def test_sockets_per_user_are_limited_and_freed_on_disconnect(settings):
    settings.WEBSOCKETS_PER_USER = 3
    alice, bob = await make_users(2)
    tabs = [await Socket.open(alice, via=via) for via in ("cookie", "token", "cookie")]
    extra = []
    try:
        one_too_many = await Socket.open(alice, name="4th")  # accepted only to say why it closes
        await one_too_many.expect_error("rate_limited")
        await one_too_many.expect_close(4029)
        for tab in tabs:
            await tab.ping()
        extra.append(await Socket.open(bob))  # other people are not counted with alice
        await extra[0].ping()

        await tabs.pop().close()
        extra.append(await Socket.open(alice, via="token", name="freed slot"))
        await extra[-1].ping()
        again = await Socket.open(alice, name="4th again")
        await again.expect_error("rate_limited")
        await again.expect_close(4029)
    finally:
        await close_all(tabs + extra)


@transactional
async def test_notifications_reach_the_recipient_and_a_blocked_sender_stores_nothing(layer):
    alice, bob = await make_users(2)
    conversation = await direct(alice, bob)
    alice_tab = await Socket.open(alice, name="alice")
    bob_tabs = [
        await Socket.open(bob, name="bob tab"),
        await Socket.open(bob, via="token", name="bob api"),
    ]
    try:
        sent = await send_over(alice_tab, conversation.pk, "Are you free on Tuesday?")
        for socket in bob_tabs:
            notification = (await socket.expect("notification.new"))["notification"]
            assert notification["kind"] == "message"
            assert notification["actor"] == alice.pk
            assert str(alice) in notification["title"]
            assert notification["url"].endswith(f"/{conversation.pk}/")
            assert (await socket.expect("message.new"))["message"]["id"] == sent["id"]
        await barrier_all([alice_tab, *bob_tabs], ignore=("message.new",))
        assert (
            await db(lambda: Notification.objects.filter(recipient=bob, read_at=None).count()) == 1
        )

        await db(services.user_block, actor=bob, user=alice)
        client_id = new_client_id()
        await alice_tab.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "Hello?",
                "client_id": client_id,
            }
        )
        await alice_tab.expect_error("invalid", client_id=client_id)
        await barrier_all([alice_tab, *bob_tabs])
        assert await count_messages() == 1
    finally:
        await close_all([alice_tab, *bob_tabs])


# A slow client


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory-capacity-5"),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def small_layer(request, settings):
    # The in-memory layer holds `capacity` events per socket; past that, group_send drops
    # them (ChannelFull, swallowed). The Redis pub/sub layer queues without a bound.
    yield from use_layer(request.param, settings, capacity=5)


def _chain(head: int, frames: list[dict]) -> tuple[int, list[int], bool]:
    """What a client does with message.new frames: follows prev_id from `head`; a frame
    whose prev_id is not the head reveals a gap."""
    ids, gap = [], False
    for frame in frames:
        message = frame["message"]
        if message["prev_id"] == head:
            head = message["id"]
            ids.append(head)
        elif message["id"] > head:
            gap = True
    return head, ids, gap


@transactional
async def test_a_slow_client_slows_nobody_and_catches_up_through_sync(small_layer, monkeypatch):
    alice, bob, slow = await make_users(3)
    conversation = await group_of(alice, [bob, slow])
    alice_tab, bob_tab = await Socket.open(alice, name="alice"), await Socket.open(bob, name="bob")
    slow_tab = await Socket.open(slow, name="slow")
    try:
        first = await send_over(alice_tab, conversation.pk, "before the stall")
        for socket in (alice_tab, bob_tab, slow_tab):
            await socket.expect("message.new")
        head = first["id"]

        # The slow client's consumer stops taking events off the layer (as when its
        # socket cannot keep up); the other sockets are untouched.
        stalled, release = asyncio.Event(), asyncio.Event()
        passing_on = GatewayConsumer.gateway_event

        async def gateway_event(consumer, event):
            if consumer.user.pk == slow.pk and not release.is_set():
                stalled.set()
                await release.wait()
            await passing_on(consumer, event)

        monkeypatch.setattr(GatewayConsumer, "gateway_event", gateway_event)

        sent, delays = [], []
        for n in range(16):
            sender, receiver = (alice_tab, bob_tab) if n % 2 else (bob_tab, alice_tab)
            start = time.monotonic()
            message = await send_over(sender, conversation.pk, f"while slow {n}")
            new = (await receiver.expect("message.new"))["message"]
            delays.append(time.monotonic() - start)
            assert (await sender.expect("message.new"))["message"]["id"] == message["id"]
            assert (new["id"], new["prev_id"]) == (message["id"], sent[-1]["id"] if sent else head)
            sent.append(message)
        assert stalled.is_set()
        # Nobody waited for the slow socket: every message reached the others at once.
        assert max(delays) < 5.0, delays

        release.set()
        # The next message reveals any gap: its prev_id is not what the client holds.
        last = await send_over(alice_tab, conversation.pk, "after the stall")
        frames = []
        while not frames or frames[-1]["message"]["id"] != last["id"]:
            frames.append(await slow_tab.expect("message.new"))
        head, ids, gap = _chain(head, frames)
        if small_layer == "memory":
            # Observed: the stalled consumer held one event, the layer queued 5 more
            # (message.new and notification.new alike) and dropped the rest silently.
            assert gap and len(frames) < len(sent) + 1, frames
        else:
            # Observed: Redis pub/sub queues without a bound; nothing was dropped.
            assert not gap and ids[-1] == last["id"]
        if gap:
            await slow_tab.send({"type": "sync", "conversation": conversation.pk, "after": head})
            result = await slow_tab.expect("sync.result")
            assert not result["has_more"]
            ids += [m["id"] for m in result["messages"]]
        assert ids == [m["id"] for m in (*sent, last)]

        if small_layer == "memory":
            # An event left past the layer's `expiry` (60 s) takes its socket out of every
            # group, and `group_expiry` (a day) does the same to any socket: deaf, silently.
            get_channel_layer().groups.pop(user_group(slow.pk))
            unheard = await send_over(alice_tab, conversation.pk, "anyone there?")
            assert await slow_tab.communicator.receive_nothing(timeout=0.3)
            await slow_tab.ping()  # browsers ping every 25 s: the socket joins again
            heard = await send_over(alice_tab, conversation.pk, "there you are")
            new = (await slow_tab.expect("message.new"))["message"]
            assert (new["id"], new["prev_id"]) == (heard["id"], unheard["id"])  # a gap it can sync
    finally:
        await close_all([alice_tab, bob_tab, slow_tab])
