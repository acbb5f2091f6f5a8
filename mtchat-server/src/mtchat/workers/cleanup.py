"""Uploads never attached to a message are deleted after a day (row and object)."""

from __future__ import annotations

import asyncio
import logging

from mtchat.runtime import Runtime
from mtchat.services.attachments import cleanup_unattached

log = logging.getLogger("mtchat.cleanup")

INTERVAL_SECONDS = 3600.0


async def cleanup_loop(runtime: Runtime, interval: float = INTERVAL_SECONDS) -> None:
    while not runtime.stopping.is_set():
        try:
            removed = await cleanup_unattached(runtime)
            if removed:
                log.info("removed %d unattached uploads", removed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("upload cleanup failed")
        await runtime.idle(interval)
