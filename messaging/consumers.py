"""The WebSocket gateway at /ws/: one socket per tab, every real-time feature over it.

The consumer only authenticates, routes commands to handlers and passes events
on; handlers call services and selectors, which check permissions.
"""

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from community.events import user_group
from messaging import presence, ratelimit

log = logging.getLogger(__name__)

Handler = Callable[["GatewayConsumer", dict[str, Any]], Awaitable[None]]

# Command type -> handler; apps register theirs with `command`.
COMMANDS: dict[str, Handler] = {}

# Bucket -> (tokens a second, burst); None means settings' message rate.
COMMAND_RATES: dict[str, tuple[float | None, int | None]] = {"command": (20, 60), "send": (None, None)}
# A socket that keeps going past this many rate_limited answers in a row is closed.
FLOOD_CLOSE_AFTER = 50

# How JSON writes a UTF-16 surrogate (browsers' JSON.stringify escapes lone ones this way).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _is_unicode_text(payload: Any) -> bool:
    """False when JSON escapes decoded to a lone surrogate, which no database or
    renderer accepts (a valid pair decodes to one character and passes)."""
    try:
        json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def command(name: str):
    def register(func: Handler) -> Handler:
        COMMANDS[name] = func
        return func

    return register


class GatewayConsumer(AsyncWebsocketConsumer):
    groups: list[str] = []

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Refusing the handshake answers 403; nothing is said to strangers.
            await self.close()
            return
        self.user = user
        self.joined: set[str] = set()
        self.rate_limited = 0
        self.counted = await presence.register(user.pk, self.channel_name, settings.WEBSOCKETS_PER_USER)
        if not self.counted:
            await self.accept()
            await self.send_error("rate_limited", "Too many open connections: close another tab or window.")
            await self.close(code=4029)
            return
        # Joined before the handshake completes: an event published once the client
        # sees the socket open is never missed.
        await self.join(user_group(user.pk))
        await self.accept()
        self.refresher = asyncio.create_task(self._keep_counted())

    async def _keep_counted(self) -> None:
        """Refreshes this socket's entry in the per-user count, and its group membership
        (the in-memory layer forgets members after group_expiry), pings or not."""
        while True:
            await asyncio.sleep(presence.REFRESH_EVERY)
            await presence.refresh(self.user.pk, self.channel_name)
            for group in self.joined:
                await self.channel_layer.group_add(group, self.channel_name)

    async def __call__(self, scope, receive, send):
        # disconnect() is skipped when the consumer crashes: clean up here as well.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._cleanup()

    async def disconnect(self, code):
        await self._cleanup()

    async def _cleanup(self) -> None:
        """Leaves groups and the socket count; safe to run twice."""
        refresher = getattr(self, "refresher", None)
        if refresher is not None:
            refresher.cancel()
            self.refresher = None
        for group in list(getattr(self, "joined", ())):
            with contextlib.suppress(Exception):  # the layer may be down; its entries expire
                await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)
        if getattr(self, "counted", False):
            self.counted = False
            await presence.unregister(self.user.pk, self.channel_name)

    async def refuse_if_flooding(self, bucket: str, **extra: Any) -> bool:
        """Answers rate_limited (True) when the user is over the bucket's rate; a socket
        that keeps going past FLOOD_CLOSE_AFTER refusals in a row is closed (4008)."""
        rate, burst = COMMAND_RATES.get(bucket, (None, None))
        if await ratelimit.allow_async(self.user.pk, bucket, rate=rate, burst=burst):
            return False
        self.rate_limited += 1
        await self.send_error("rate_limited", "Too many requests: wait a moment, then try again.", **extra)
        if self.rate_limited >= FLOOD_CLOSE_AFTER:
            await self.close(code=4008)
        return True

    async def join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else bytes_data
        # Under Daphne the server enforces this limit first (--websocket-max-message-size):
        # autobahn refuses close codes other than 1000 and 3000-4999 from applications, so
        # this branch serves other ASGI servers and the in-process tests.
        if (
            raw is not None
            and len(raw.encode() if isinstance(raw, str) else raw)
            > settings.WEBSOCKET_MAX_FRAME_BYTES
        ):
            await self.close(code=1009)
            return
        if text_data is None:
            await self.send_error("invalid", "Frames must be JSON text.")
            return
        try:
            payload = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid", "Frames must be JSON objects.")
            return
        if _SURROGATE_ESCAPE.search(text_data) and not _is_unicode_text(payload):
            await self.send_error("invalid", "Frames must be valid Unicode text.")
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            await self.send_error("invalid", 'Frames must be JSON objects with a "type".')
            return
        kind = payload["type"]
        if kind == "ping":
            await presence.refresh(self.user.pk, self.channel_name)
            # Re-add (idempotent): the in-memory layer forgets a member after group_expiry
            # (a day) or once an event waited past its expiry; the next event's prev_id
            # then shows the client what it missed.
            for group in self.joined:
                await self.channel_layer.group_add(group, self.channel_name)
            await self.send_json({"type": "pong", "ref": payload.get("ref")})
            return
        handler = COMMANDS.get(kind)
        if handler is None:
            await self.send_error("unknown_type", f"Unknown type: {kind[:60]}")
            return
        # Every command spends from a general bucket; sends also from their own, stricter one.
        client_id = payload.get("client_id")
        if await self.refuse_if_flooding("command", **({"client_id": client_id} if isinstance(client_id, str) else {})):
            return
        refused_before = self.rate_limited
        await handler(self, payload)
        if self.rate_limited == refused_before:
            self.rate_limited = 0  # a command went through: the run of refusals is over

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))

    async def send_error(self, code: str, detail: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    # Channel-layer events: `{"type": "gateway.event", "payload": {...}}` goes to the client as is.
    async def gateway_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
