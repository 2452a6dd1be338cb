"""Real-time events, published only once the transaction that caused them commits."""

from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Sends `event` to channel-layer `group` after commit; nothing if the write rolls back."""
    layer = get_channel_layer()
    if layer is None:
        return
    transaction.on_commit(partial(async_to_sync(layer.group_send), group, event), robust=True)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
