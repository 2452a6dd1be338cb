"""The WebSocket gateway at /ws/: handshake, error frames, ping, events from the channel layer.

Everything goes through the real ASGI application (`config.asgi.application`):
origin check, session and token authentication, routing, the consumer. One
test also starts a real Daphne process and talks to it over the network.
"""

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from community.events import publish_on_commit, user_group
from config.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://localhost"
MAX_FRAME = 64 * 1024


@pytest.fixture(
    params=["memory", pytest.param("redis", marks=pytest.mark.redis)],
)
def channel_layer_kind(request, settings):
    """Runs a test on the in-memory layer and, when REDIS_URL is set, on Redis pub/sub."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": settings.REDIS_URL}],
                    # Other runs may share this Redis: their user.1 is not ours.
                    "prefix": f"bm-test-{settings.CHECKOUT_TAG}-{uuid.uuid4().hex[:10]}",
                },
            }
        }
    channel_layers.backends = {}
    yield request.param
    channel_layers.backends = {}


# Helpers


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


session_cookie = database_sync_to_async(_session_cookie)
create_user = database_sync_to_async(UserFactory)


@database_sync_to_async
def create_token(user) -> str:
    return Token.objects.create(user=user).key


@database_sync_to_async
def deactivate(user) -> None:
    type(user).objects.filter(pk=user.pk).update(is_active=False)


def gateway(
    *,
    cookie: str | None = None,
    token: str | None = None,
    origin: bytes | None = ORIGIN,
    authorization: str | None = None,
):
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    if token is not None:
        authorization = f"Token {token}"
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def connected(**kwargs) -> WebsocketCommunicator:
    communicator = gateway(**kwargs)
    ok, _ = await communicator.connect()
    assert ok, "the handshake was refused"
    return communicator


async def assert_open(communicator: WebsocketCommunicator, ref: int = 99) -> None:
    await communicator.send_json_to({"type": "ping", "ref": ref})
    assert await communicator.receive_json_from() == {"type": "pong", "ref": ref}


# Handshake


async def test_signed_in_user_with_session_cookie_pings():
    user = await create_user()
    ws = await connected(cookie=await session_cookie(user))
    try:
        await ws.send_json_to({"type": "ping", "ref": 1})
        assert await ws.receive_json_from() == {"type": "pong", "ref": 1}
        await ws.send_json_to({"type": "ping", "ref": "abc"})
        assert await ws.receive_json_from() == {"type": "pong", "ref": "abc"}
        assert await ws.receive_nothing()
    finally:
        await ws.disconnect()


async def test_token_client_connects_without_cookie():
    user = await create_user()
    ws = await connected(token=await create_token(user))
    try:
        await ws.send_json_to({"type": "ping", "ref": 1})
        assert await ws.receive_json_from() == {"type": "pong", "ref": 1}
    finally:
        await ws.disconnect()


async def test_token_socket_belongs_to_the_tokens_user(channel_layer_kind):
    owner, other = await create_user(), await create_user()
    ws = await connected(token=await create_token(owner))
    try:
        layer = get_channel_layer()
        await layer.group_send(
            user_group(other.pk), {"type": "gateway.event", "payload": {"type": "x", "n": 1}}
        )
        assert await ws.receive_nothing()
        await layer.group_send(
            user_group(owner.pk), {"type": "gateway.event", "payload": {"type": "x", "n": 2}}
        )
        assert await ws.receive_json_from() == {"type": "x", "n": 2}
    finally:
        await ws.disconnect()


async def test_session_wins_over_a_token_of_someone_else(channel_layer_kind):
    browser_user, token_user = await create_user(), await create_user()
    ws = await connected(
        cookie=await session_cookie(browser_user), token=await create_token(token_user)
    )
    try:
        layer = get_channel_layer()
        await layer.group_send(
            user_group(token_user.pk),
            {"type": "gateway.event", "payload": {"type": "x", "for": "token"}},
        )
        await layer.group_send(
            user_group(browser_user.pk),
            {"type": "gateway.event", "payload": {"type": "x", "for": "session"}},
        )
        assert await ws.receive_json_from() == {"type": "x", "for": "session"}
        assert await ws.receive_nothing()
    finally:
        await ws.disconnect()


async def refused(communicator: WebsocketCommunicator) -> bool:
    try:
        ok, _ = await communicator.connect()
        return not ok
    finally:
        await communicator.disconnect()


async def test_refused_without_session_or_token():
    assert await refused(gateway())


async def test_refused_with_a_session_cookie_that_signs_nobody_in():
    assert await refused(gateway(cookie="not-a-session-key"))


@pytest.mark.parametrize(
    "authorization",
    [
        "Token wrong-key",
        "Token ",
        "Bearer {key}",  # a real key under another scheme
        "{key}",
    ],
)
async def test_refused_with_a_bad_token(authorization):
    user = await create_user()
    key = await create_token(user)
    assert await refused(gateway(authorization=authorization.format(key=key)))
    # The same key under the right scheme is accepted: the refusal was the header's fault.
    ws = await connected(token=key)
    await ws.disconnect()


async def test_refused_for_an_inactive_user_by_session():
    user = await create_user()
    cookie = await session_cookie(user)
    await deactivate(user)
    assert await refused(gateway(cookie=cookie))


async def test_refused_for_an_inactive_user_by_token():
    user = await create_user()
    key = await create_token(user)
    await deactivate(user)
    assert await refused(gateway(token=key))


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"https://localhost.evil.example",
        b"null",
    ],
)
async def test_refused_from_a_foreign_origin_even_with_a_valid_session(origin):
    user = await create_user()
    cookie = await session_cookie(user)
    assert await refused(gateway(cookie=cookie, origin=origin))
    ws = await connected(cookie=cookie)  # the same session from our origin is accepted
    await ws.disconnect()


async def test_refused_from_a_foreign_origin_with_a_valid_token():
    user = await create_user()
    assert await refused(gateway(token=await create_token(user), origin=b"http://evil.example"))


async def test_refused_without_an_origin_header():
    user = await create_user()
    assert await refused(gateway(cookie=await session_cookie(user), origin=None))
    assert await refused(gateway(token=await create_token(user), origin=None))


# Error frames


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "this is not json"}, "invalid"),
        ({"text_data": '{"type": "ping"'}, "invalid"),
        ({"text_data": "[1, 2, 3]"}, "invalid"),
        ({"text_data": '"ping"'}, "invalid"),
        ({"text_data": '{"ref": 1}'}, "invalid"),
        ({"text_data": '{"type": 5}'}, "invalid"),
        ({"bytes_data": b'{"type": "ping", "ref": 1}'}, "invalid"),
        ({"text_data": '{"type": "no.such.command"}'}, "unknown_type"),
    ],
)
async def test_error_frames_leave_the_socket_open(frame, code):
    user = await create_user()
    ws = await connected(cookie=await session_cookie(user))
    try:
        await ws.send_to(**frame)
        error = await ws.receive_json_from()
        assert error["type"] == "error"
        assert error["code"] == code
        assert isinstance(error["detail"], str)
        assert error["detail"]
        await assert_open(ws)
    finally:
        await ws.disconnect()


async def test_unknown_type_detail_is_bounded():
    user = await create_user()
    ws = await connected(cookie=await session_cookie(user))
    try:
        await ws.send_json_to({"type": "x" * 5000})
        error = await ws.receive_json_from()
        assert error["code"] == "unknown_type"
        assert len(error["detail"]) < 200
    finally:
        await ws.disconnect()


def _ping_of_exactly(size: int) -> str:
    frame = json.dumps({"type": "ping", "ref": ""})
    return json.dumps({"type": "ping", "ref": "x" * (size - len(frame))})


async def test_frame_of_exactly_64_kib_is_accepted():
    user = await create_user()
    ws = await connected(cookie=await session_cookie(user))
    try:
        frame = _ping_of_exactly(MAX_FRAME)
        assert len(frame.encode()) == MAX_FRAME
        await ws.send_to(text_data=frame)
        reply = await ws.receive_json_from()
        assert reply["type"] == "pong"
        assert len(reply["ref"]) > 60_000
    finally:
        await ws.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"text_data": _ping_of_exactly(MAX_FRAME + 1)},
        # 40,000 characters but 80,000 bytes: the limit is on bytes.
        {"text_data": json.dumps({"type": "ping", "ref": "é" * 40_000}, ensure_ascii=False)},
        {"bytes_data": b"x" * (MAX_FRAME + 1)},
    ],
    ids=["text", "multibyte-text", "binary"],
)
async def test_frame_over_64_kib_closes_with_1009(frame):
    user = await create_user()
    ws = await connected(cookie=await session_cookie(user))
    try:
        await ws.send_to(**frame)
        assert await ws.receive_output() == {"type": "websocket.close", "code": 1009}
    finally:
        await ws.disconnect()


# Events from the channel layer


async def test_user_event_reaches_that_users_sockets_only(channel_layer_kind):
    alice, bob = await create_user(), await create_user()
    alice_tab_1 = await connected(cookie=await session_cookie(alice))
    alice_tab_2 = await connected(token=await create_token(alice))
    bob_tab = await connected(cookie=await session_cookie(bob))
    try:
        payload = {"type": "notification.new", "notification": {"id": 7, "text": "Hello, Alice"}}
        await get_channel_layer().group_send(
            user_group(alice.pk), {"type": "gateway.event", "payload": payload}
        )
        assert await alice_tab_1.receive_json_from(timeout=3) == payload
        assert await alice_tab_2.receive_json_from(timeout=3) == payload
        assert await bob_tab.receive_nothing(timeout=0.5)
        # Bob's socket is live: it just had nothing to receive.
        await assert_open(bob_tab)
    finally:
        for ws in (alice_tab_1, alice_tab_2, bob_tab):
            await ws.disconnect()


async def test_closed_socket_no_longer_receives(channel_layer_kind):
    alice = await create_user()
    cookie = await session_cookie(alice)
    first = await connected(cookie=cookie)
    await first.disconnect()
    second = await connected(cookie=cookie)
    try:
        layer = get_channel_layer()
        await layer.group_send(
            user_group(alice.pk), {"type": "gateway.event", "payload": {"type": "x"}}
        )
        assert await second.receive_json_from(timeout=3) == {"type": "x"}
        assert await second.receive_nothing(timeout=0.3)
    finally:
        await second.disconnect()


@database_sync_to_async
def _publish(user_id: int, payload: dict, *, roll_back: bool) -> None:
    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            UserFactory()  # a write the event would announce
            publish_on_commit(user_group(user_id), {"type": "gateway.event", "payload": payload})
            if roll_back:
                raise RolledBack
    except RolledBack:
        pass


async def test_publish_on_commit_delivers_after_commit(channel_layer_kind):
    alice = await create_user()
    ws = await connected(cookie=await session_cookie(alice))
    try:
        await _publish(alice.pk, {"type": "committed"}, roll_back=False)
        assert await ws.receive_json_from(timeout=3) == {"type": "committed"}
    finally:
        await ws.disconnect()


async def test_publish_on_commit_delivers_nothing_after_rollback(channel_layer_kind):
    alice = await create_user()
    ws = await connected(cookie=await session_cookie(alice))
    try:
        await _publish(alice.pk, {"type": "rolled-back"}, roll_back=True)
        assert await ws.receive_nothing(timeout=0.5)
        # The socket and the layer work: a committed event right after arrives.
        await _publish(alice.pk, {"type": "committed"}, roll_back=False)
        assert await ws.receive_json_from(timeout=3) == {"type": "committed"}
    finally:
        await ws.disconnect()


# A real Daphne process over the network


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _daphne_size_options() -> list[str]:
    """Daphne's WebSocket size limits exactly as scripts/serve sets them: test what we run."""
    script = (Path(settings.BASE_DIR) / "scripts" / "serve").read_text()
    options = []
    for name, value in re.findall(r"(--websocket-max-(?:message|frame)-size)[ =](\d+)", script):
        options += [name, value]
    return options


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"daphne did not listen on {port} within {timeout} s:\n{log.read_text()[-3000:]}")


async def _talk_to_daphne(port: int, key: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    uri = f"ws://127.0.0.1:{port}/ws/"
    origin = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Token {key}"}

    async with connect(uri, origin=origin, additional_headers=auth, open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "ping", "ref": 1}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong", "ref": 1}
        await ws.send("x" * 70_000)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        # rcvd is None when the server dropped the TCP connection without a close frame
        # (autobahn's failByDrop, Daphne's default): the client then sees 1006, not 1009.
        assert closed.value.rcvd is not None, (
            "Daphne dropped the connection instead of closing it with 1009"
        )
        assert closed.value.rcvd.code == 1009

    # Over the network a refused handshake is an HTTP 403.
    for headers, from_origin in [({}, origin), (auth, "http://evil.example")]:
        with pytest.raises(InvalidStatus) as refused_:
            async with connect(
                uri, origin=from_origin, additional_headers=headers, open_timeout=10
            ):
                pass
        assert refused_.value.response.status_code == 403


@pytest.mark.postgres
def test_real_daphne_ping_and_oversized_frame():
    user = UserFactory()
    key = Token.objects.create(user=user).key
    test_db = settings.DATABASES["default"]["NAME"]
    database_url = urlsplit(settings.DATABASE_URL)._replace(path=f"/{test_db}").geturl()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_TESTING", None)
    connections.close_all()  # stack note 15: no open connection across the fork
    daphne = Path(sys.executable).with_name("daphne")
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log_file:
        log = Path(log_file.name)
        process = subprocess.Popen(
            [
                str(daphne),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                *_daphne_size_options(),
                "config.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        asyncio.run(_talk_to_daphne(port, key))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)
