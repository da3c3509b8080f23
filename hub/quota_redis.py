"""Per-caller token buckets in Redis, shared by every hub process and instance.

One Lua script refills and takes a token atomically on the Redis server, so concurrent hub
processes never both spend the last token. Keys expire once a bucket would be full again.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.admission import Quota

__all__ = ["RedisBuckets"]

log = logging.getLogger("hub.admission")

# KEYS[1] bucket; ARGV rate, burst, now (s). Returns seconds to wait as a string ("0" taken).
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisBuckets:
    def __init__(self, url: str, *, prefix: str = "hub:quota:") -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.from_url(url)
        self._script = self._redis.register_script(_TAKE)
        self._prefix = prefix

    async def take(self, caller: str, quota: Quota, now: float) -> float:
        """Fails open: with Redis unreachable the quota is not enforced (the concurrency limit
        still protects the hub and its departments), and the failure is logged."""
        from redis.exceptions import RedisError

        try:
            wait = await self._script(keys=[self._prefix + caller],
                                      args=[quota.rate, quota.burst, now])
        except (RedisError, OSError) as exc:
            log.warning("quota store unreachable, %s's quota not enforced: %s", caller, exc)
            return 0.0
        return float(wait)

    async def aclose(self) -> None:
        await self._redis.aclose()
