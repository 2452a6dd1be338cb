"""A token bucket per user, shared by every process when Redis is there.

RATE tokens a second refill a bucket of BURST; a send takes one. Under Redis
the bucket lives in one key updated by a Lua script (atomic across Daphne
processes); without Redis (the quick start, one process) it lives in memory.
"""

import asyncio
import logging
import threading
import time

import redis
import redis.asyncio
from django.conf import settings

log = logging.getLogger(__name__)

_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
return allowed
"""

_local: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()
_client = None
_script = None


def _redis():
    global _client, _script
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
        _script = _client.register_script(_LUA)
    return _script


def _key(user_id: int, action: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "bm")
    return f"{prefix}:rate:{action}:{user_id}"


def allow(user_id: int, action: str = "send", rate: float | None = None, burst: int | None = None) -> bool:
    """Takes a token for `user_id`; False when the bucket is empty."""
    rate = rate or settings.MESSAGE_RATE_PER_SECOND
    burst = burst or settings.MESSAGE_RATE_BURST
    now = time.time()
    if settings.REDIS_URL:
        return bool(_redis()(keys=[_key(user_id, action)], args=[rate, burst, now]))
    return _allow_local(user_id, action, rate, burst)


def _allow_local(user_id: int, action: str, rate: float, burst: int) -> bool:
    now = time.time()
    key = _key(user_id, action)
    with _lock:
        tokens, ts = _local.get(key, (float(burst), now))
        tokens = min(burst, tokens + (now - ts) * rate)
        allowed = tokens >= 1
        _local[key] = (tokens - 1 if allowed else tokens, now)
    return allowed


_async_scripts: dict = {}


async def allow_async(user_id: int, action: str = "send", rate: float | None = None, burst: int | None = None) -> bool:
    """`allow` for the gateway: never blocks the event loop on Redis."""
    if not settings.REDIS_URL:
        return allow(user_id, action, rate, burst)
    loop = asyncio.get_running_loop()
    script = _async_scripts.get(loop)
    if script is None:
        # One client per event loop: a client cannot outlive the loop it was made on.
        client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
        script = client.register_script(_LUA)
        _async_scripts.clear()
        _async_scripts[loop] = script
    rate = rate or settings.MESSAGE_RATE_PER_SECOND
    burst = burst or settings.MESSAGE_RATE_BURST
    try:
        return bool(await script(keys=[_key(user_id, action)], args=[rate, burst, time.time()]))
    except redis.RedisError:
        # Redis is away (a restart, a failover): limit this process on its own rather
        # than close every sending socket; the shared bucket takes over when it is back.
        log.warning("Rate limiter: Redis unavailable, using the in-process bucket")
        return _allow_local(user_id, action, rate, burst)


def reset() -> None:
    """Forgets every bucket (tests)."""
    with _lock:
        _local.clear()
