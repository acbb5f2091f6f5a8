"""In-process fan-out (embedded default): user id → the local connections of that user."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol


class Connection(Protocol):
    user_id: str

    def deliver(self, event: dict[str, Any]) -> None:
        """Queue the event without blocking (a full queue closes that socket, never stalls us)."""
        ...


class LocalRegistry:
    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = {}

    def add(self, conn: Connection) -> bool:
        """Register; True when this is the user's first local connection."""
        conns = self._by_user.setdefault(conn.user_id, set())
        conns.add(conn)
        return len(conns) == 1

    def remove(self, conn: Connection) -> bool:
        """Unregister; True when the user has no local connection left."""
        conns = self._by_user.get(conn.user_id)
        if not conns:
            return False
        conns.discard(conn)
        if not conns:
            del self._by_user[conn.user_id]
            return True
        return False

    def deliver(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        for user_id in recipients:
            for conn in tuple(self._by_user.get(user_id, ())):
                conn.deliver(event)

    def users(self) -> set[str]:
        return set(self._by_user)

    def count(self) -> int:
        return sum(len(c) for c in self._by_user.values())


class MemoryHub:
    def __init__(self) -> None:
        self.local = LocalRegistry()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        self.local.deliver(recipients, event)

    async def online(self, user_ids: Collection[str]) -> set[str]:
        return self.local.users() & set(user_ids)

    async def connect(self, conn: Connection) -> bool:
        return self.local.add(conn)

    async def disconnect(self, conn: Connection) -> bool:
        return self.local.remove(conn)
