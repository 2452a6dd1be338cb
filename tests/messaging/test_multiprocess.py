"""Two real Daphne processes on one Redis, as in production: what one process stores,
the other's sockets receive, in order, once; access changes made anywhere apply at once;
and nothing is lost or stored twice across a Redis restart and a Daphne crash.

Clients are the `websockets` library over TCP with token auth (`Authorization: Token`),
as integrators connect. The servers use this run's test database (transactional tests:
they see what the test commits) and, for the fault run, a redis-server of the test's own.
"""

import asyncio
import json
import uuid
from urllib.parse import urlsplit

import pytest
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import connections

from community.events import user_group
from messaging import services
from messaging.models import Message
from tests.bench import realtime_faults
from tests.bench.realtime_faults import DaphneServer, RedisServer, daphne_env
from tests.messaging.realtime_helpers import db, make_users, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10


def _test_database_url() -> str:
    name = settings.DATABASES["default"]["NAME"]  # the live test database
    return urlsplit(settings.DATABASE_URL)._replace(path=f"/{name}").geturl()


def _start(daphnes: list[DaphneServer]) -> None:
    connections.close_all()  # stack note 15: no connection open across the fork
    for daphne in daphnes:
        daphne.start()
    for daphne in daphnes:
        daphne.wait_ready()


@pytest.fixture
def daphnes(tmp_path):
    """Daphne A and B on this run's Redis, with this run's key prefixes (DJANGO_TEST_TAG)."""
    env = daphne_env(database_url=_test_database_url(), redis_url=settings.REDIS_URL, testing=True)
    servers = [DaphneServer(name, env, tmp_path) for name in ("A", "B")]
    try:
        _start(servers)
        channel_layers.backends = {}  # this process publishes on the same layer as the servers
        yield servers
    finally:
        for server in servers:
            server.stop()


class Client:
    """A `websockets` client reading frames by type; others wait in a stash."""

    def __init__(self, ws, user, name: str) -> None:
        self.ws, self.user, self.name, self.stash = ws, user, name, []

    @classmethod
    async def open(cls, server: DaphneServer, user, name: str) -> "Client":
        from websockets.asyncio.client import connect

        ws = await connect(
            f"ws://127.0.0.1:{server.port}/ws/",
            origin=f"http://127.0.0.1:{server.port}",
            additional_headers={"Authorization": f"Token {await token_for(user)}"},
            open_timeout=TIMEOUT,
            proxy=None,
        )
        return cls(ws, user, name)

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, kind: str, **fields) -> dict:
        def matches(frame):
            return frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items())

        for i, frame in enumerate(self.stash):
            if matches(frame):
                return self.stash.pop(i)
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = json.loads(await self.ws.recv())
                if matches(frame):
                    return frame
                self.stash.append(frame)

    async def message_news(self, n: int) -> list[dict]:
        return [(await self.expect("message.new"))["message"] for _ in range(n)]

    async def barrier(self, ignore: tuple[str, ...] = ("notification.new",)) -> None:
        """Nothing published before now is still on its way: a marker published through
        the same Redis arrives after it. Anything else that arrived meanwhile fails."""
        tag = uuid.uuid4().hex
        await get_channel_layer().group_send(
            user_group(self.user.pk),
            {"type": "gateway.event", "payload": {"type": "test.marker", "tag": tag}},
        )
        await self.expect("test.marker", tag=tag)
        # Markers for this user's other sockets are no news.
        left = [f for f in self.stash if f.get("type") not in (*ignore, "test.marker")]
        assert not left, f"{self.name} got unexpected frames: {left}"
        self.stash = []

    async def close(self) -> None:
        await self.ws.close()


async def send_and_ack(
    client: Client, conversation_id: int, body: str, client_id: str | None = None
) -> dict:
    client_id = client_id or str(uuid.uuid4())
    await client.send(
        {
            "type": "message.send",
            "conversation": conversation_id,
            "body": body,
            "client_id": client_id,
        }
    )
    return (await client.expect("message.ack", client_id=client_id))["message"]


async def test_two_processes_deliver_live_in_order_once_and_apply_removal_at_once(daphnes):
    a, b = daphnes
    alice, bob, carol, dave = await make_users(4)
    conversation = await db(
        services.conversation_group_create,
        actor=alice,
        participants=[bob, carol, dave],
        title="Two processes",
    )
    alice_a, dave_a = await Client.open(a, alice, "alice@A"), await Client.open(a, dave, "dave@A")
    bob_b, carol_b = await Client.open(b, bob, "bob@B"), await Client.open(b, carol, "carol@B")
    alice_b = await Client.open(b, alice, "alice@B")
    clients = [alice_a, dave_a, bob_b, carol_b, alice_b]
    try:
        # Sends alternate between the processes; every socket gets every message, in order, once.
        sent = []
        for n in range(6):
            sender = alice_a if n % 2 == 0 else bob_b
            sent.append(await send_and_ack(sender, conversation.pk, f"turn {n}"))
        for client in clients:
            received = await client.message_news(len(sent))
            assert [m["id"] for m in received] == [m["id"] for m in sent], client.name
            assert [m["prev_id"] for m in received] == [0] + [m["id"] for m in sent[:-1]], (
                client.name
            )
        for client in clients:
            await client.barrier()  # and nothing twice

        # The same client_id through both processes at the same moment: one row, the same
        # message acknowledged on both, announced once.
        client_id = str(uuid.uuid4())
        frame = {
            "type": "message.send",
            "conversation": conversation.pk,
            "body": "both at once",
            "client_id": client_id,
        }
        await asyncio.gather(alice_a.send(frame), alice_b.send(frame))
        acks = [await c.expect("message.ack", client_id=client_id) for c in (alice_a, alice_b)]
        assert acks[0]["message"]["id"] == acks[1]["message"]["id"]
        assert await db(lambda: Message.objects.filter(client_id=client_id).count()) == 1
        for client in clients:
            assert (await client.expect("message.new"))["message"]["id"] == acks[0]["message"]["id"]
            await client.barrier()

        # Carol is removed by a service call in this process: her socket on B hears it
        # at once, and nothing more of the conversation.
        await db(
            services.conversation_participant_remove,
            actor=alice,
            conversation_id=conversation.pk,
            user=carol,
        )
        assert await carol_b.expect("conversation.removed") == {
            "type": "conversation.removed",
            "conversation": conversation.pk,
        }
        after = await send_and_ack(alice_a, conversation.pk, "without carol")
        for client in (dave_a, bob_b, alice_b):
            assert (await client.expect("message.new"))["message"]["id"] == after["id"]
        await carol_b.barrier(ignore=())
        client_id = str(uuid.uuid4())
        await carol_b.send(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "body": "still here?",
                "client_id": client_id,
            }
        )
        error = await carol_b.expect("error", client_id=client_id)
        assert error["code"] == "not_found"
        await carol_b.barrier(ignore=())
        assert (
            await db(lambda: Message.objects.filter(conversation=conversation).count())
            == len(sent) + 2
        )
    finally:
        for client in clients:
            await client.close()


def test_nothing_lost_or_duplicated_across_a_redis_restart_and_a_daphne_crash(tmp_path):
    """The fault bench (tests/bench/realtime_faults.py), reduced to run in CI."""
    plan = realtime_faults.seed(clients=8, conversations=2)
    redis = RedisServer(tmp_path)  # our own: restarting it disturbs nobody
    redis.start()
    env = daphne_env(database_url=_test_database_url(), redis_url=redis.url, testing=True)
    servers = [DaphneServer(name, env, tmp_path) for name in ("A", "B")]
    try:
        _start(servers)
        outcome = asyncio.run(
            realtime_faults.exercise(
                plan,
                redis=redis,
                daphnes=servers,
                rate=1.0,
                readers=2,
                duration=16,
                redis_fault_at=4,
                redis_down=1.5,
                daphne_fault_at=9,
                settle_timeout=30,
                log=lambda line: None,
            )
        )
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    report = realtime_faults.verify(plan, outcome)
    print(report.text)
    assert report.ok, report.text
    assert sum(c.connects for c in outcome.clients) > len(outcome.clients), (
        "the faults forced no reconnect"
    )
