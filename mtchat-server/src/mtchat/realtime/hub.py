"""Fan-out contract: deliver one event to the sockets of exactly these users.

Implementations: the in-process hub below (embedded default) and the Redis one (scale-out).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol


class Hub(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        """Send ``event`` to every open socket of each user in ``recipients`` (any process)."""
        ...

    async def online(self, user_ids: Collection[str]) -> set[str]:
        """The subset of ``user_ids`` that has at least one open socket anywhere."""
        ...
