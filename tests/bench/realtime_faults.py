"""Real-time fault bench: nothing lost, nothing stored twice, across a Redis restart and a Daphne crash.

    .venv/bin/python -m tests.bench.realtime_faults              # 20 senders + 4 readers, ~65 s
    .venv/bin/python -m tests.bench.realtime_faults --clients 40 --rate 1 --duration 60 --keep

It sets up everything it uses and takes it down again: its own PostgreSQL
database (`bench_realtime` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/test; created, migrated, dropped at the end
unless --keep), its own redis-server on a free port (never the shared one), and
two Daphne processes serving `config.asgi:application` on that Redis.

Clients (the `websockets` library, token auth, half on each Daphne) send at a
steady rate with a client_id each, resend what was not acknowledged after every
reconnect, follow `prev_id` to spot gaps, and `sync` every conversation from
the last message they hold after every reconnect and on every gap. Midway the
Redis server is stopped and started again on the same port while clients send;
later one Daphne is killed (SIGKILL) and a new one started on its port. At the
end the clients resend and sync until nothing is pending; then the database is
compared with every client's view. The exit status is 1 if anything was lost,
stored twice, acknowledged but not stored, never acknowledged, or delivered out
of order. tests/bench/README.md ("Real time under faults") says what to expect.

tests/messaging/test_multiprocess.py runs a reduced version in CI.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_DB = "bench_realtime"
MAX_MESSAGE_SIZE = "65536"  # as scripts/serve runs Daphne


# Processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(
    port: int, *, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(
                f"process exited with {process.returncode} before listening on {port}:\n{tail}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


class RedisServer:
    """A redis-server of our own on a free port: stopping it disturbs nobody else."""

    def __init__(self, log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout=10, process=self.process, log=self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class DaphneServer:
    """`daphne config.asgi:application` as scripts/serve runs it."""

    def __init__(
        self, name: str, env: dict[str, str], log_dir: Path, port: int | None = None
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.env = env
        self.log = log_dir / f"daphne-{name}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "--websocket-max-message-size",
                    MAX_MESSAGE_SIZE,
                    "config.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        wait_for_port(self.port, timeout=timeout, process=self.process, log=self.log)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no close frames; the kernel resets the connections."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def daphne_env(*, database_url: str, redis_url: str, testing: bool = False) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Tasks queue in the database and nobody runs them: the bench measures the gateway.
        "DJANGO_TASKS_BACKEND": "database",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    if testing:
        env["DJANGO_TESTING"] = "1"  # the suite's key prefixes (DJANGO_TEST_TAG passes through)
    else:
        env.pop("DJANGO_TESTING", None)
    return env


# The people and conversations (Django must be set up on the database the servers use).


@dataclass
class Member:
    index: int
    user_id: int
    token: str
    conversations: list[int]


@dataclass
class Plan:
    members: list[Member]
    conversations: dict[int, list[int]]  # id -> participant user ids


def seed(*, clients: int, conversations: int) -> Plan:
    """Users with tokens, and group conversations in which every member shares a
    conversation with members on the other Daphne (client i uses Daphne i % 2)."""
    from rest_framework.authtoken.models import Token

    from community.models import User
    from messaging import services

    run = uuid.uuid4().hex[:8]
    users = [
        User.objects.create_user(
            f"rt-{run}-{i}@example.org",
            None,
            display_name=f"Client {i}",
            # In the app only: no email tasks; the bench is about the gateway.
            notification_preferences={"message": "in_app"},
        )
        for i in range(clients)
    ]
    tokens = {u.pk: Token.objects.create(user=u).key for u in users}
    by_conversation: dict[int, list[int]] = {}
    for k in range(conversations):
        members = [
            u for i, u in enumerate(users) if i % conversations == k or (i + 1) % conversations == k
        ]
        conversation = services.conversation_group_create(
            actor=members[0], participants=members[1:], title=f"Bench {run} #{k}"
        )
        by_conversation[conversation.pk] = [u.pk for u in members]
    return Plan(
        members=[
            Member(i, u.pk, tokens[u.pk], [c for c, ids in by_conversation.items() if u.pk in ids])
            for i, u in enumerate(users)
        ],
        conversations=by_conversation,
    )


# Clients


class BenchClient:
    """One person's client: sends with client_ids, resends, follows prev_id, syncs."""

    def __init__(
        self, member: Member, port: int, rate: float, daphne: str, reader: bool = False
    ) -> None:
        self.reader = reader  # never sends: an idle tab that only listens
        self.member = member
        self.port = port
        self.daphne = daphne
        self.interval = 1 / rate if rate > 0 else None
        self.ws = None
        self.connected = asyncio.Event()
        convs = member.conversations
        self.generated: dict[str, int] = {}  # every client_id made -> conversation
        self.pending: dict[str, tuple[int, str]] = {}  # not acknowledged yet
        self.retry_at: dict[str, float] = {}  # rate_limited: resend after
        self.acked: dict[str, int] = {}  # client_id -> message id
        self.received: dict[int, set[int]] = {c: set() for c in convs}
        self.head: dict[int, int] = dict.fromkeys(convs, 0)
        # What the person reads, in order: ids appended only when they chain to the last one.
        self.ordered: dict[int, list[int]] = {c: [] for c in convs}
        self.ahead: dict[int, dict[int, int]] = {c: {} for c in convs}  # prev_id -> id, past a gap
        self.final_synced: dict[int, bool] = {}
        self.live: list[tuple[float, int, float]] = []  # (received, id, created) of message.new
        self.seen_here: set[int] = set()  # message.new ids on the current connection
        self.live_duplicates = 0
        self.gaps = 0
        self.syncs = 0
        self.connects = 0
        self.rate_limited = 0
        self.out_of_order_live = 0
        self.closes: Counter = Counter()
        self.failures: Counter = Counter()
        self.refused: Counter = Counter()
        self.resends = 0
        self.reacked = 0  # acks for a client_id acknowledged before (a resend): same id
        self.reacked_differently: list[tuple[str, int, int]] = []
        self.seq = 0

    # connection

    async def run(self, sending: asyncio.Event, done: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        uri = f"ws://127.0.0.1:{self.port}/ws/"
        headers = {"Authorization": f"Token {self.member.token}"}
        delay = 0.2
        while not done.is_set():
            try:
                async with connect(
                    uri,
                    origin=f"http://127.0.0.1:{self.port}",
                    additional_headers=headers,
                    open_timeout=5,
                    ping_interval=5,
                    ping_timeout=10,
                    close_timeout=1,
                    proxy=None,
                    max_size=2**22,
                ) as ws:
                    self.ws, self.seen_here, delay = ws, set(), 0.2
                    self.connects += 1
                    self.connected.set()
                    await self._resume()
                    reader = asyncio.create_task(self._read(ws))
                    sender = asyncio.create_task(self._send_loop(sending))
                    stop = asyncio.create_task(done.wait())
                    await asyncio.wait({reader, stop}, return_when=asyncio.FIRST_COMPLETED)
                    for task in (sender, stop, reader):
                        task.cancel()
                    await asyncio.gather(sender, stop, reader, return_exceptions=True)
                    if ws.close_code is not None:
                        self.closes[ws.close_code] += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a refused handshake, a reset, a timeout: reconnect
                self.failures[_failure_name(exc)] += 1
            finally:
                self.ws = None
                self.connected.clear()
            if not done.is_set():
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311
                delay = min(delay * 2, 2.0)

    async def _resume(self) -> None:
        """After every (re)connect: catch up on each conversation, then resend the unacknowledged."""
        for conversation in self.member.conversations:
            await self._sync(conversation)
        for client_id, (conversation, body) in list(self.pending.items()):
            self.resends += 1
            await self._send(client_id, conversation, body)

    async def _read(self, ws) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                await self._on_frame(json.loads(raw))

    async def _send_loop(self, sending: asyncio.Event) -> None:
        if self.interval is None:
            return
        await asyncio.sleep(random.uniform(0, self.interval))  # noqa: S311
        while True:
            now = time.time()
            for client_id, at in list(self.retry_at.items()):
                if at <= now and client_id in self.pending:
                    del self.retry_at[client_id]
                    self.resends += 1
                    await self._send(client_id, *self.pending[client_id])
            if sending.is_set():
                self.seq += 1
                conversation = self.member.conversations[self.seq % len(self.member.conversations)]
                client_id = str(uuid.uuid4())
                body = f"client {self.member.index} #{self.seq} ({client_id})"
                self.generated[client_id] = conversation
                self.pending[client_id] = (conversation, body)
                await self._send(client_id, conversation, body)
            await asyncio.sleep(self.interval * random.uniform(0.8, 1.2))  # noqa: S311

    async def _send(self, client_id: str, conversation: int, body: str) -> None:
        frame = {
            "type": "message.send",
            "conversation": conversation,
            "body": body,
            "client_id": client_id,
        }
        await self._write(frame)

    async def _sync(self, conversation: int) -> None:
        self.syncs += 1
        await self._write(
            {"type": "sync", "conversation": conversation, "after": self.head[conversation]}
        )

    async def _write(self, frame: dict) -> None:
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):  # a closing socket: the reconnect resends
                await ws.send(json.dumps(frame))

    # frames

    async def _on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "message.ack":
            message = frame["message"]
            before = self.acked.get(frame["client_id"])
            if before is not None:
                self.reacked += 1
                if before != message["id"]:
                    self.reacked_differently.append((frame["client_id"], before, message["id"]))
            self.acked[frame["client_id"]] = message["id"]
            self.pending.pop(frame["client_id"], None)
            self.retry_at.pop(frame["client_id"], None)
            self.received[message["conversation"]].add(message["id"])
        elif kind == "message.new":
            message = frame["message"]
            conversation, message_id = message["conversation"], message["id"]
            if message_id in self.seen_here:
                self.live_duplicates += 1
            self.seen_here.add(message_id)
            self.live.append(
                (time.time(), message_id, datetime.fromisoformat(message["created_at"]).timestamp())
            )
            self.received[conversation].add(message_id)
            await self._follow(conversation, message["prev_id"], message_id)
        elif kind == "sync.result":
            conversation = frame["conversation"]
            ids = [m["id"] for m in frame["messages"]]
            self.received[conversation].update(ids)
            for message_id in ids:  # the messages after what we held, complete and in order
                if message_id > self.head[conversation]:
                    self._deliver(conversation, message_id)
            self._drain_ahead(conversation)
            if frame["has_more"]:
                await self._sync(conversation)
            elif conversation in self.final_synced:
                self.final_synced[conversation] = True
        elif kind == "error":
            client_id = frame.get("client_id")
            if frame["code"] == "rate_limited" and client_id in self.pending:
                self.rate_limited += 1
                self.retry_at[client_id] = time.time() + 1.0
            else:
                self.refused[frame["code"]] += 1

    async def _follow(self, conversation: int, prev_id: int, message_id: int) -> None:
        head = self.head[conversation]
        if message_id <= head:
            return
        if prev_id == head:
            self._deliver(conversation, message_id)
            self._drain_ahead(conversation)
        else:
            # A gap: something between what we hold and this one has not arrived (dropped, or
            # published late by another process). Keep this one and ask for what is missing.
            if prev_id < head or message_id < max(self.ahead[conversation].values(), default=0):
                self.out_of_order_live += 1
            self.ahead[conversation][prev_id] = message_id
            self.gaps += 1
            await self._sync(conversation)

    def _deliver(self, conversation: int, message_id: int) -> None:
        self.ordered[conversation].append(message_id)
        self.head[conversation] = message_id

    def _drain_ahead(self, conversation: int) -> None:
        ahead = self.ahead[conversation]
        while self.head[conversation] in ahead:
            self._deliver(conversation, ahead.pop(self.head[conversation]))
        for prev_id in [p for p, i in ahead.items() if i <= self.head[conversation]]:
            del ahead[prev_id]

    async def final_sync(self) -> None:
        await self.connected.wait()
        self.final_synced = dict.fromkeys(self.member.conversations, False)
        for conversation in self.member.conversations:
            await self._sync(conversation)

    def settled(self) -> bool:
        return not self.pending and all(self.final_synced.values())


def _failure_name(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"handshake {response.status_code}"
    return type(exc).__name__


# The run


@dataclass
class Fault:
    name: str
    start: float
    back: float = 0.0


@dataclass
class Outcome:
    clients: list[BenchClient]
    faults: list[Fault]
    started: float
    stopped_sending: float
    settled: float
    unsettled: list[int] = field(default_factory=list)


async def exercise(
    plan: Plan,
    *,
    redis: RedisServer,
    daphnes: list[DaphneServer],
    rate: float,
    readers: int = 0,
    duration: float,
    redis_fault_at: float,
    redis_down: float,
    daphne_fault_at: float,
    settle_timeout: float = 60,
    log=print,
) -> Outcome:
    senders = len(plan.members) - readers
    clients = [
        BenchClient(
            m,
            daphnes[m.index % 2].port,
            rate if m.index < senders else 0,
            daphnes[m.index % 2].name,
            reader=m.index >= senders,
        )
        for m in plan.members
    ]
    sending, done = asyncio.Event(), asyncio.Event()
    sending.set()
    tasks = [asyncio.create_task(c.run(sending, done)) for c in clients]
    faults: list[Fault] = []
    try:
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), 30)
        started = time.time()
        log(f"  {len(clients)} clients connected; sending for {duration:.0f} s")

        await asyncio.sleep(max(0.0, started + redis_fault_at - time.time()))
        fault = Fault("Redis restart", time.time())
        faults.append(fault)
        await asyncio.to_thread(redis.stop)
        log(f"  t={fault.start - started:4.1f}s  Redis stopped")
        await asyncio.sleep(redis_down)
        await asyncio.to_thread(redis.start)
        fault.back = time.time()
        log(f"  t={fault.back - started:4.1f}s  Redis started again on port {redis.port}")

        await asyncio.sleep(max(0.0, started + daphne_fault_at - time.time()))
        victim = daphnes[1]
        fault = Fault(f"Daphne {victim.name} SIGKILL", time.time())
        faults.append(fault)
        victim.kill()
        log(f"  t={fault.start - started:4.1f}s  Daphne {victim.name} killed (SIGKILL)")
        victim.start()
        await asyncio.to_thread(victim.wait_ready)
        fault.back = time.time()
        log(
            f"  t={fault.back - started:4.1f}s  a new Daphne {victim.name} listens on port {victim.port}"
        )

        await asyncio.sleep(max(0.0, started + duration - time.time()))
        sending.clear()
        stopped = time.time()
        log(f"  t={stopped - started:4.1f}s  sending stopped; resending and syncing until settled")
        # Let what is in flight land, then every client syncs each conversation once more.
        deadline = time.monotonic() + settle_timeout
        while any(c.pending for c in clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        await asyncio.wait_for(asyncio.gather(*(c.final_sync() for c in clients)), settle_timeout)
        while not all(c.settled() for c in clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        settled = time.time()
        unsettled = [c.member.index for c in clients if not c.settled()]
        log(
            f"  t={settled - started:4.1f}s  settled"
            + (f" except clients {unsettled}" if unsettled else "")
        )
    finally:
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Outcome(clients, faults, started, stopped, settled, unsettled)


# The verdict


@dataclass
class Report:
    lines: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def text(self) -> str:
        return "\n".join(
            self.lines
            + (
                [""] + [f"PROBLEM: {p}" for p in self.problems]
                if self.problems
                else ["", "OK: nothing lost, nothing duplicated, all in order."]
            )
        )


def _recovery(
    clients: list[BenchClient], outcome: Outcome, fault: Fault
) -> tuple[list[float], int]:
    """Per client, seconds from the fault to the first live message.new of a message
    created after the service came back; and how many clients never got one."""
    times, never = [], 0
    for client in clients:
        first = next(
            (
                received
                for received, _id, created in client.live
                if created >= fault.back
                and received >= fault.back
                and received <= outcome.stopped_sending + 5
            ),
            None,
        )
        if first is None:
            never += 1
        else:
            times.append(first - fault.start)
    return times, never


def verify(plan: Plan, outcome: Outcome) -> Report:
    from messaging.models import Message

    rows = list(
        Message.objects.filter(conversation_id__in=plan.conversations)
        .order_by("id")
        .values_list("id", "conversation_id", "sender_id", "client_id")
    )
    by_conversation: dict[int, list[int]] = defaultdict(list)
    by_client_id: dict[tuple[int, str], list[int]] = defaultdict(list)
    for message_id, conversation, sender, client_id in rows:
        by_conversation[conversation].append(message_id)
        by_client_id[(sender, str(client_id))].append(message_id)
    row_ids = {r[0]: (r[2], str(r[3])) for r in rows}

    clients = outcome.clients
    sent = sum(len(c.generated) for c in clients)
    acked = sum(len(c.acked) for c in clients)
    stored_twice = {k: v for k, v in by_client_id.items() if len(v) > 1}
    generated = {(c.member.user_id, cid) for c in clients for cid in c.generated}
    phantom = [k for k in by_client_id if k not in generated]
    acked_not_stored = [
        (c.member.index, cid, mid)
        for c in clients
        for cid, mid in c.acked.items()
        if row_ids.get(mid) != (c.member.user_id, cid)
    ]
    never_acked = [(c.member.index, cid) for c in clients for cid in c.pending]
    reacked_differently = [x for c in clients for x in c.reacked_differently]
    lost, out_of_order, never_live = [], [], []
    for c in clients:
        for conversation in c.member.conversations:
            expected = by_conversation.get(conversation, [])
            missing = sorted(set(expected) - c.received[conversation])
            if missing:
                lost.append((c.member.index, conversation, len(missing), missing[:5]))
            if c.ordered[conversation] != expected:
                out_of_order.append((c.member.index, conversation))

    lines = [
        "Real time under faults",
        f"  clients {len(clients)} (Daphne A: {sum(1 for c in clients if c.daphne == 'A')}, B: {sum(1 for c in clients if c.daphne == 'B')}), "
        f"conversations {len(plan.conversations)}, participants per conversation "
        f"{min(map(len, plan.conversations.values()))}-{max(map(len, plan.conversations.values()))}",
        f"  sending {outcome.stopped_sending - outcome.started:.0f} s; settled {outcome.settled - outcome.stopped_sending:.1f} s after",
        "",
        f"  sent (distinct client_ids)       {sent}",
        f"  acknowledged                     {acked}",
        f"  stored                           {len(rows)}",
        f"  stored twice (same client_id)    {len(stored_twice)}",
        f"  stored, not sent by a client     {len(phantom)}",
        f"  acknowledged but not stored      {len(acked_not_stored)}",
        f"  never acknowledged               {len(never_acked)}",
        f"  resends {sum(c.resends for c in clients)}; acknowledged again {sum(c.reacked for c in clients)}, "
        f"with another id {len(reacked_differently)}",
        f"  lost (in DB, missing at a participant)  {sum(n for _i, _c, n, _m in lost)}",
        f"  out of order (a client's in-order view != the DB's order)  {len(out_of_order)}",
        f"  live duplicates (same message.new twice on one connection)  {sum(c.live_duplicates for c in clients)}",
        "",
        f"  connections {sum(c.connects for c in clients)} (reconnects {sum(c.connects for c in clients) - len(clients)}); "
        f"close codes {dict(sum((c.closes for c in clients), Counter()))}; "
        f"failed attempts {dict(sum((c.failures for c in clients), Counter()))}",
        f"  gaps seen through prev_id {sum(c.gaps for c in clients)} (live arrivals out of order {sum(c.out_of_order_live for c in clients)}); "
        f"syncs sent {sum(c.syncs for c in clients)}; rate_limited {sum(c.rate_limited for c in clients)}; "
        f"other errors {dict(sum((c.refused for c in clients), Counter()))}",
    ]
    readers = [c for c in clients if c.reader]
    if readers:
        lines.append(
            f"  idle readers {len(readers)}: connections {sum(c.connects for c in readers)}, "
            f"close codes {dict(sum((c.closes for c in readers), Counter()))}"
        )
    for fault in outcome.faults:
        outage = fault.back - fault.start
        lines.append(
            f"  {fault.name} at t={fault.start - outcome.started:.1f}s, back after {outage:.1f} s; live delivery resumed:"
        )
        for label, group in (
            ("senders", [c for c in clients if not c.reader]),
            ("idle readers", readers),
        ):
            if not group:
                continue
            times, never = _recovery(group, outcome, fault)
            if times:
                lines.append(
                    f"    {label:13s} after median {statistics.median(times):.1f} s, max {max(times):.1f} s"
                    + (f"; {never} of them NEVER got a live message again" if never else "")
                )
            else:
                lines.append(f"    {label:13s} NEVER: no live message after the fault")
            if never:
                never_live.append(f"{fault.name}: {never} {label}")

    problems = []
    if never_live:
        problems.append(
            f"live delivery did not resume for some clients ({'; '.join(never_live)}); only sync repaired them"
        )
    if reacked_differently:
        problems.append(
            f"{len(reacked_differently)} resends acknowledged with another message: {reacked_differently[:3]}"
        )
    if stored_twice:
        problems.append(
            f"{len(stored_twice)} client_ids stored more than once: {list(stored_twice.items())[:3]}"
        )
    if phantom:
        problems.append(f"{len(phantom)} rows no client sent: {phantom[:3]}")
    if acked_not_stored:
        problems.append(
            f"{len(acked_not_stored)} acknowledged but not stored: {acked_not_stored[:3]}"
        )
    if never_acked:
        problems.append(f"{len(never_acked)} sends never acknowledged: {never_acked[:3]}")
    if lost:
        problems.append(f"lost at {len(lost)} (client, conversation) pairs, e.g. {lost[:3]}")
    if out_of_order:
        problems.append(
            f"out of order at {len(out_of_order)} (client, conversation) pairs, e.g. {out_of_order[:3]}"
        )
    if outcome.unsettled:
        problems.append(
            f"clients {outcome.unsettled} did not settle (pending sends or syncs unanswered)"
        )
    return Report(lines, problems)


# The script


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument(
        "--readers", type=int, default=4, help="more clients that only listen (idle tabs)"
    )
    parser.add_argument(
        "--rate", type=float, default=0.5, help="messages a second per sending client"
    )
    parser.add_argument("--duration", type=float, default=45, help="seconds of sending")
    parser.add_argument("--redis-fault-at", type=float, default=12)
    parser.add_argument("--redis-down", type=float, default=2, help="seconds Redis stays down")
    parser.add_argument("--daphne-fault-at", type=float, default=26)
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args(argv)

    base = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not base.startswith("postgres"):
        parser.error("DATABASE_URL must name a PostgreSQL server")
    if urlsplit(base).path.lstrip("/") == args.database:
        parser.error(f"refusing to use {args.database}, the database DATABASE_URL names")
    database_url = _database_url(base, args.database)
    log_dir = Path(tempfile.mkdtemp(prefix="realtime-faults-"))
    redis = RedisServer(log_dir)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        DJANGO_TASKS_BACKEND="database",
    )
    os.environ.pop("DJANGO_TESTING", None)
    daphnes: list[DaphneServer] = []
    started = time.monotonic()
    print(f"database {args.database}; Redis on port {redis.port}; logs in {log_dir}")
    _admin(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    _admin(base, f'CREATE DATABASE "{args.database}"')
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        t = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"  migrated in {time.monotonic() - t:.0f} s")
        redis.start()
        plan = seed(clients=args.clients + args.readers, conversations=args.conversations)
        connections.close_all()  # stack note 15: nothing open across the fork
        env = daphne_env(database_url=database_url, redis_url=redis.url)
        daphnes = [DaphneServer(name, env, log_dir) for name in ("A", "B")]
        for daphne in daphnes:
            daphne.start()
        for daphne in daphnes:
            daphne.wait_ready()
        print(f"  Daphne A on {daphnes[0].port}, B on {daphnes[1].port}")
        outcome = asyncio.run(
            exercise(
                plan,
                redis=redis,
                daphnes=daphnes,
                rate=args.rate,
                readers=args.readers,
                duration=args.duration,
                redis_fault_at=args.redis_fault_at,
                redis_down=args.redis_down,
                daphne_fault_at=args.daphne_fault_at,
            )
        )
        for daphne in daphnes:
            daphne.stop()
        report = verify(plan, outcome)
        print()
        print(report.text)
        print(f"\n  whole run {time.monotonic() - started:.0f} s")
        errors = _server_errors(daphnes)
        if errors:
            print("\nServer log lines with errors (first 15 of each kind):")
            for line in errors:
                print(f"  {line}")
        return 0 if report.ok else 1
    finally:
        for daphne in daphnes:
            daphne.stop()
        redis.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _admin(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            for path in log_dir.iterdir():
                path.unlink()
            log_dir.rmdir()


def _server_errors(daphnes: list[DaphneServer]) -> list[str]:
    """The distinct error lines of the Daphne logs, with how often each appeared."""
    counts: Counter = Counter()
    for daphne in daphnes:
        if daphne.log.exists():
            for line in daphne.log.read_text(errors="replace").splitlines():
                if any(
                    w in line for w in ("Error", "error", "Exception", "Traceback")
                ) and not line.startswith(" "):
                    counts[f"[{daphne.name}] {line.strip()[:160]}"] += 1
    return [f"{n:4d} x {line}" for line, n in counts.most_common(15)]


if __name__ == "__main__":
    sys.exit(main())
