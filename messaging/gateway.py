"""Messaging's commands on the WebSocket gateway.

Each handler checks the frame's shape, calls one service or selector (which
check access: a conversation the user is not in is `not_found`, exactly like
one that does not exist) and answers the socket. Nothing here decides who may
do what.
"""

from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404

from community.errors import NotAllowed, ServiceError
from messaging import ratelimit, selectors, services
from messaging.consumers import GatewayConsumer, command
from messaging.services import TooLarge, message_payload


def _text(payload: dict, name: str) -> str | None:
    """A text field; None when missing, not text, or holding NUL, which PostgreSQL cannot
    store (DRF's and Django's form fields refuse it the same way)."""
    value = payload.get(name)
    if not isinstance(value, str) or "\x00" in value:
        return None
    return value


def _int(payload: dict, name: str) -> int | None:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


async def _call(socket: GatewayConsumer, func, *args, extra: dict | None = None, **kwargs) -> Any:
    """Runs a service in a thread; turns its refusals into error frames (and returns None)."""
    extra = extra or {}
    try:
        return await database_sync_to_async(func)(*args, **kwargs)
    except Http404:
        await socket.send_error("not_found", "No such conversation or message.", **extra)
    except TooLarge as exc:
        await socket.send_error("too_large", exc.message, **extra)
    except ServiceError as exc:
        await socket.send_error("invalid", exc.message, **extra)
    except NotAllowed as exc:
        await socket.send_error("invalid", str(exc), **extra)
    return None


@command("message.send")
async def message_send(socket: GatewayConsumer, payload: dict) -> None:
    client_id = payload.get("client_id")
    extra = {"client_id": client_id} if isinstance(client_id, str) else {}
    conversation = _int(payload, "conversation")
    if conversation is None or _text(payload, "body") is None or not isinstance(client_id, str):
        await socket.send_error("invalid", "message.send needs conversation (id), body (text) and client_id (UUID).", **extra)
        return
    if await socket.refuse_if_flooding("send", **extra):
        return
    result = await _call(
        socket,
        services.message_send,
        actor=socket.user,
        conversation_id=conversation,
        body=payload["body"],
        client_id=client_id,
        extra=extra,
    )
    if result is not None:
        message, _created = result
        await socket.send_json({"type": "message.ack", "client_id": client_id, "message": message_payload(message, viewer_id=socket.user.pk)})


@command("message.edit")
async def message_edit(socket: GatewayConsumer, payload: dict) -> None:
    message_id = _int(payload, "message")
    if message_id is None or _text(payload, "body") is None:
        await socket.send_error("invalid", "message.edit needs message (id) and body (text).")
        return
    if await socket.refuse_if_flooding("send"):
        return
    await _call(socket, services.message_edit, actor=socket.user, message_id=message_id, body=payload["body"])


@command("message.delete")
async def message_delete(socket: GatewayConsumer, payload: dict) -> None:
    message_id = _int(payload, "message")
    if message_id is None:
        await socket.send_error("invalid", "message.delete needs message (id).")
        return
    await _call(socket, services.message_delete, actor=socket.user, message_id=message_id)


@command("sync")
async def sync(socket: GatewayConsumer, payload: dict) -> None:
    conversation, after = _int(payload, "conversation"), _int(payload, "after")
    if conversation is None or after is None:
        await socket.send_error("invalid", "sync needs conversation (id) and after (a message id, 0 for the start).")
        return
    result = await _call(socket, selectors.messages_after, user=socket.user, conversation_id=conversation, after=after)
    if result is not None:
        messages, has_more = result
        await socket.send_json(
            {
                "type": "sync.result",
                "conversation": conversation,
                "messages": [message_payload(m, viewer_id=socket.user.pk) for m in messages],
                "has_more": has_more,
            }
        )


@command("read")
async def read(socket: GatewayConsumer, payload: dict) -> None:
    conversation, up_to = _int(payload, "conversation"), _int(payload, "up_to")
    if conversation is None or up_to is None:
        await socket.send_error("invalid", "read needs conversation (id) and up_to (a message id).")
        return
    await _call(socket, services.conversation_mark_read, actor=socket.user, conversation_id=conversation, up_to=up_to)


@command("typing")
async def typing(socket: GatewayConsumer, payload: dict) -> None:
    conversation = _int(payload, "conversation")
    if conversation is None:
        await socket.send_error("invalid", "typing needs conversation (id).")
        return
    # Typing is advisory: over its own small budget it is dropped silently.
    if await ratelimit.allow_async(socket.user.pk, "typing", rate=1, burst=3):
        await _call(socket, services.typing, actor=socket.user, conversation_id=conversation)
