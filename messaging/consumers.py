"""The WebSocket gateway at /ws/: one socket per tab, every real-time feature over it.

The consumer only authenticates, routes commands to handlers and passes events
on; handlers call services and selectors, which check permissions.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from community.events import user_group
from messaging import presence

log = logging.getLogger(__name__)

Handler = Callable[["GatewayConsumer", dict[str, Any]], Awaitable[None]]

# Command type -> handler; apps register theirs with `command`.
COMMANDS: dict[str, Handler] = {}


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

    async def disconnect(self, code):
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "counted", False):
            await presence.unregister(self.user.pk, self.channel_name)

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
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            await self.send_error("invalid", 'Frames must be JSON objects with a "type".')
            return
        kind = payload["type"]
        if kind == "ping":
            await presence.refresh(self.user.pk, self.channel_name)
            await self.send_json({"type": "pong", "ref": payload.get("ref")})
            return
        handler = COMMANDS.get(kind)
        if handler is None:
            await self.send_error("unknown_type", f"Unknown type: {kind[:60]}")
            return
        await handler(self, payload)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))

    async def send_error(self, code: str, detail: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    # Channel-layer events: `{"type": "gateway.event", "payload": {...}}` goes to the client as is.
    async def gateway_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
