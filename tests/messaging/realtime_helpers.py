"""Helpers for the gateway's real-time tests: layers, sign-in, and a socket that reads by type.

Everything goes through the real ASGI application (`config.asgi.application`):
origin check, session or token authentication, routing, the consumer.
"""

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client as HttpClient
from rest_framework.authtoken.models import Token

from community.events import user_group
from config.asgi import application
from tests.factories import UserFactory

ORIGIN = b"http://localhost"
# Generous: a loaded CI machine must not turn a slow answer into a failure. Runs stay
# short because every wait ends as soon as the expected frame arrives.
TIMEOUT = 10

LAYERS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


def use_layer(kind: str, settings, **memory_config: Any) -> Iterator[str]:
    """Sets the channel layer for one test: in-memory, or Redis pub/sub (as in production).

    The Redis variant gets a prefix of its own: other runs may share the server, and
    their `user.1` is not ours.
    """
    if kind == "memory":
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": memory_config}
        }
    else:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": settings.REDIS_URL, "max_connections": 100}],
                    "prefix": f"bm-test-{settings.CHECKOUT_TAG}-{uuid.uuid4().hex[:10]}",
                },
            }
        }
    channel_layers.backends = {}
    yield kind
    channel_layers.backends = {}


# The database, from async tests (stack note 6: transactional tests only).


async def db(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await database_sync_to_async(func)(*args, **kwargs)


def _session_cookie(user) -> str:
    http = HttpClient()
    http.force_login(user)
    return http.cookies[django_settings.SESSION_COOKIE_NAME].value


async def make_users(n: int) -> list:
    return await db(lambda: UserFactory.create_batch(n))


async def session_cookie(user) -> str:
    return await db(_session_cookie, user)


async def token_for(user) -> str:
    return await db(lambda: Token.objects.get_or_create(user=user)[0].key)


def new_client_id() -> str:
    return str(uuid.uuid4())


class Socket:
    """One browser tab (or API client) on /ws/, reading frames by type.

    `expect()` returns the first frame of a type (and matching fields) and keeps
    the frames it passed over, in order, for later `expect()`s; `barrier_all()`
    fails on anything left over or still on its way.
    """

    def __init__(self, communicator: WebsocketCommunicator, user, name: str = "") -> None:
        self.communicator = communicator
        self.user = user
        self.name = name or f"user {user.pk}"
        self.stash: list[dict] = []

    @classmethod
    async def open(cls, user, *, via: str = "cookie", name: str = "") -> "Socket":
        socket = cls(await _communicator(user, via), user, name)
        ok, code = await socket.communicator.connect(timeout=TIMEOUT)
        assert ok, f"{socket.name}: the handshake was refused ({code})"
        return socket

    async def send(self, frame: dict) -> None:
        await self.communicator.send_json_to(frame)

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def _next(self, timeout: float) -> dict:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            raise AssertionError(f"{self.name}: the socket closed with {output.get('code')}")
        assert output["type"] == "websocket.send", output
        return json.loads(output["text"])

    async def expect(self, kind: str, timeout: float = TIMEOUT, **fields: Any) -> dict:
        """The first frame of type `kind` whose top-level `fields` match."""

        def matches(frame: dict) -> bool:
            return frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items())

        for i, frame in enumerate(self.stash):
            if matches(frame):
                return self.stash.pop(i)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._peek_output()
                    frame = await self._next(TIMEOUT)
                    if matches(frame):
                        return frame
                    self.stash.append(frame)
        except TimeoutError:
            raise AssertionError(
                f"{self.name}: no {kind} {fields or ''} frame; got {_short(self.stash)}"
            ) from None

    async def _peek_output(self) -> None:
        # Waits for output without receive_output's timeout, which would cancel the app.
        while self.communicator.output_queue.empty():
            if self.communicator.future.done():
                self.communicator.future.result()
                return
            await asyncio.sleep(0.005)

    async def expect_error(self, code: str, **fields: Any) -> dict:
        error = await self.expect("error", **fields)
        assert error["code"] == code, error
        assert isinstance(error["detail"], str) and error["detail"], error
        return error

    async def expect_close(self, code: int) -> None:
        while True:
            output = await self.communicator.receive_output(TIMEOUT)
            if output["type"] == "websocket.close":
                assert output.get("code") == code, output
                return
            self.stash.append(json.loads(output["text"]))

    def take_stash(self, kind: str | None = None) -> list[dict]:
        taken = [f for f in self.stash if kind is None or f.get("type") == kind]
        self.stash = [f for f in self.stash if f not in taken]
        return taken

    async def ping(self, ref: Any = "alive") -> None:
        await self.send({"type": "ping", "ref": ref})
        await self.expect("pong", ref=ref)

    async def close(self) -> None:
        await self.communicator.disconnect()


def _short(frames: list[dict], limit: int = 1500) -> str:
    text = repr(frames)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(frames)} frames)"


async def barrier_all(sockets: list[Socket], ignore: tuple[str, ...] = ()) -> None:
    """Proves that nothing published before now is still on its way to these sockets.

    A marker sent through the same layer to each user's group arrives after everything
    published before it (the in-memory layer queues in order; a Redis server pushes
    PUBLISHes to a subscriber in the order it ran them). Anything but the marker (and
    `ignore`d types) that arrived meanwhile fails.
    """
    tag = uuid.uuid4().hex
    layer = get_channel_layer()
    for user_id in dict.fromkeys(s.user.pk for s in sockets):
        await layer.group_send(
            user_group(user_id),
            {"type": "gateway.event", "payload": {"type": "test.marker", "tag": tag}},
        )
    for socket in sockets:
        await socket.expect("test.marker", tag=tag)
        # A marker for one of the user's sockets not in `sockets` is no news.
        left = [f for f in socket.stash if f.get("type") not in (*ignore, "test.marker")]
        assert not left, f"{socket.name} got unexpected frames: {_short(left)}"
        socket.stash = []


async def close_all(sockets: list[Socket]) -> None:
    for socket in sockets:
        await socket.close()


async def _communicator(user, via: str) -> WebsocketCommunicator:
    headers = [(b"origin", ORIGIN)]
    if via == "cookie":
        cookie = await session_cookie(user)
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    elif via == "token":
        headers.append((b"authorization", f"Token {await token_for(user)}".encode()))
    elif via != "anonymous":
        raise ValueError(via)
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def anonymous_handshake() -> tuple[bool, Any]:
    communicator = await _communicator(None, "anonymous")
    try:
        return await communicator.connect(timeout=TIMEOUT)
    finally:
        await communicator.disconnect()


MESSAGE_KEYS = {
    "id",
    "conversation",
    "sender",
    "body",
    "body_html",
    "client_id",
    "created_at",
    "edited_at",
    "deleted",
}


def assert_message_shape(data: dict, message) -> None:
    """`data` is DESIGN.md's message shape and says what the row `message` holds."""
    assert set(data) >= MESSAGE_KEYS, f"missing keys: {MESSAGE_KEYS - set(data)}"
    assert data["id"] == message.pk
    assert data["conversation"] == message.conversation_id
    assert data["sender"] == message.sender_id
    assert data["body"] == ("" if message.deleted_at else message.body)
    assert data["body_html"] == ("" if message.deleted_at else message.body_html)
    assert data["client_id"] == str(message.client_id)
    assert data["created_at"] == message.created_at.isoformat()
    assert data["edited_at"] == (message.edited_at.isoformat() if message.edited_at else None)
    assert data["deleted"] is (message.deleted_at is not None)
