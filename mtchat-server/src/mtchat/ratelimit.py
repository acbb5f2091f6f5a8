"""Per-user request budget (SPEC §6): a fixed one-minute window, in process or in Redis."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class RateLimiter(Protocol):
    async def hit(self, key: str) -> int | None:
        """Count one request; return seconds to wait when over budget, else None."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}

    async def hit(self, key: str) -> int | None:
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count > self.per_minute:
            return max(1, 60 - int(now % 60))
        return None

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Shared across processes: INCR on a key that expires with its window."""

    def __init__(self, redis: Redis, per_minute: int) -> None:
        self.redis = redis
        self.per_minute = per_minute

    async def hit(self, key: str) -> int | None:
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // 60)
        redis_key = f"mtchat:rl:{window}:{key}"
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.incr(redis_key)
            pipe.expire(redis_key, 61)
            count, _ = await pipe.execute()
        except Exception:  # Redis down: fail open rather than take the chat offline
            return None
        if int(count) > self.per_minute:
            return max(1, 60 - int(now % 60))
        return None

    async def close(self) -> None:
        await self.redis.aclose()


def make_rate_limiter(redis_url: str | None, per_minute: int) -> RateLimiter:
    """One budget per user for the whole service: in Redis when processes share it, else in process."""
    if redis_url:
        return RedisRateLimiter(Redis.from_url(redis_url), per_minute)
    return MemoryRateLimiter(per_minute)
