"""Fan-out contract: deliver one event to the sockets of exactly these users.

Implementations: the in-process hub below (embedded default) and the Redis one (scale-out).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mtchat.realtime.memory import Connection


class Hub(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        """Send ``event`` to every open socket of each user in ``recipients`` (any process)."""
        ...

    async def online(self, user_ids: Collection[str]) -> set[str]:
        """The subset of ``user_ids`` that has at least one open socket anywhere."""
        ...

    async def connect(self, conn: Connection) -> bool:
        """Register a local socket; True when its user just came online (no socket anywhere before)."""
        ...

    async def disconnect(self, conn: Connection) -> bool:
        """Unregister a local socket; True when its user has no socket left anywhere."""
        ...
