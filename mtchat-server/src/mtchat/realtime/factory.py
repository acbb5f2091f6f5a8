from __future__ import annotations

from mtchat.realtime.hub import Hub
from mtchat.realtime.memory import MemoryHub
from mtchat.settings import Settings


def make_hub(settings: Settings) -> Hub:
    """Redis pub/sub when REDIS_URL is set (any number of processes), else in-process."""
    if settings.redis_url:
        from mtchat.realtime.redis import RedisHub

        return RedisHub(settings.redis_url, presence_ttl_seconds=settings.presence_ttl_seconds)
    return MemoryHub()
