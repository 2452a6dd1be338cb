"""How many sockets each user has open, across every Daphne process.

Under Redis each user has a sorted set of channel names scored by expiry;
sockets refresh their entry on every ping (the browser pings every 25 s), so
a process that died without cleaning up stops counting after TTL seconds.
Without Redis (one process) a dict does the same.
"""

import asyncio
import contextlib
import logging
import time

import redis
import redis.asyncio
from django.conf import settings

log = logging.getLogger(__name__)

TTL = 90
# Each socket refreshes its own entry this often, pings or not.
REFRESH_EVERY = TTL / 3
_local: dict[int, dict[str, float]] = {}
_clients: dict = {}


def _key(user_id: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "bm")
    return f"{prefix}:sockets:{user_id}"


def _redis():
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        _clients.clear()
        client = _clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    return client


async def register(user_id: int, channel: str, limit: int) -> bool:
    """Counts this socket in; False (and not counted) when the user is at the limit."""
    now = time.time()
    if settings.REDIS_URL:
        client, key = _redis(), _key(user_id)
        try:
            await client.zremrangebyscore(key, "-inf", now)
            if await client.zcard(key) >= limit:
                return False
            await client.zadd(key, {channel: now + TTL})
            await client.expire(key, TTL)
        except redis.RedisError:
            # Without Redis the count is unknown: let the socket in rather than refuse
            # everyone during a restart; it is counted again at its next refresh.
            log.warning("Socket count: Redis unavailable, admitting the socket uncounted")
        return True
    sockets = {c: exp for c, exp in _local.get(user_id, {}).items() if exp > now}
    if len(sockets) >= limit:
        _local[user_id] = sockets
        return False
    sockets[channel] = now + TTL
    _local[user_id] = sockets
    return True


async def refresh(user_id: int, channel: str) -> None:
    now = time.time()
    if settings.REDIS_URL:
        client, key = _redis(), _key(user_id)
        try:
            await client.zadd(key, {channel: now + TTL})
            await client.expire(key, TTL)
        except redis.RedisError:
            log.warning("Socket count: Redis unavailable, refresh skipped")
    elif channel in _local.get(user_id, {}):
        _local[user_id][channel] = now + TTL


async def unregister(user_id: int, channel: str) -> None:
    if settings.REDIS_URL:
        with contextlib.suppress(redis.RedisError):  # else the entry expires after TTL
            await _redis().zrem(_key(user_id), channel)
    else:
        _local.get(user_id, {}).pop(channel, None)


def reset() -> None:
    _local.clear()
