"""In-process fan-out (embedded default): user id → the local connections of that user."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from mtchat.realtime.hub import Delivery


def encode(event: dict[str, Any]) -> str:
    """The one JSON encoding of an event; every recipient socket is sent this same text."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


class Connection(Protocol):
    user_id: str

    def deliver(self, frame: str) -> None:
        """Queue one encoded event without blocking (a full queue closes that socket, never stalls us)."""
        ...

    def resync(self) -> None:
        """Close the socket so its client reconnects and fetches what it may have missed."""
        ...


class LocalRegistry:
    def __init__(self) -> None:
        # A user's first connection is stored bare; a set only once they open a second tab.
        self._by_user: dict[str, Connection | set[Connection]] = {}
        self._count = 0

    def add(self, conn: Connection) -> bool:
        """Register; True when this is the user's first local connection."""
        self._count += 1
        held = self._by_user.get(conn.user_id)
        if held is None:
            self._by_user[conn.user_id] = conn
            return True
        if isinstance(held, set):
            held.add(conn)
        else:
            self._by_user[conn.user_id] = {held, conn}
        return False

    def remove(self, conn: Connection) -> bool:
        """Unregister; True when the user has no local connection left."""
        held = self._by_user.get(conn.user_id)
        if held is None:
            return False
        if not isinstance(held, set):
            if held is not conn:
                return False
            del self._by_user[conn.user_id]
            self._count -= 1
            return True
        if conn in held:
            held.discard(conn)
            self._count -= 1
            if len(held) == 1:
                self._by_user[conn.user_id] = next(iter(held))
        return False

    def deliver_frame(self, recipients: Collection[str], frame: str) -> None:
        by_user = self._by_user
        for user_id in recipients:
            held = by_user.get(user_id)
            if held is None:
                continue
            if isinstance(held, set):
                for conn in tuple(held):
                    conn.deliver(frame)
            else:
                held.deliver(frame)

    def deliver(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        self.deliver_frame(recipients, encode(event))

    def users(self) -> set[str]:
        return set(self._by_user)

    def connections(self) -> list[Connection]:
        conns: list[Connection] = []
        for held in self._by_user.values():
            if isinstance(held, set):
                conns.extend(held)
            else:
                conns.append(held)
        return conns

    def resync_all(self) -> int:
        """Ask every local socket to reconnect (events may have been missed); returns how many."""
        conns = self.connections()
        for conn in conns:
            conn.resync()
        return len(conns)

    def count(self) -> int:
        return self._count


class MemoryHub:
    def __init__(self) -> None:
        self.local = LocalRegistry()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        self.local.deliver(recipients, event)

    async def publish_many(self, deliveries: Sequence[Delivery]) -> None:
        for recipients, event in deliveries:
            self.local.deliver(recipients, event)

    async def online(self, user_ids: Collection[str]) -> set[str]:
        return self.local.users() & set(user_ids)

    async def connect(self, conn: Connection) -> bool:
        return self.local.add(conn)

    async def disconnect(self, conn: Connection) -> bool:
        return self.local.remove(conn)
