"""Fan-out contract: deliver one event to the sockets of exactly these users.

Implementations: the in-process hub (embedded default, ``memory.py``) and the Redis one (scale-out).
An event is encoded to JSON once, wherever it is published, and that same text is written to
every recipient socket.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mtchat.realtime.memory import Connection

Delivery = tuple[Collection[str], dict[str, Any]]


class Hub(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        """Send ``event`` to every open socket of each user in ``recipients`` (any process)."""
        ...

    async def publish_many(self, deliveries: Sequence[Delivery]) -> None:
        """``publish`` for several events at once, in order (one Redis round trip)."""
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
