"""Presence fan-out (SPEC §5.4): ``presence.update`` goes to the users who share a dialog with the
user whose state changed, and to nobody else.

Changes are coalesced for a short window and published together: N members of one dialog coming
online cost one co-participant query and one pipelined publish per window, not N of each. A change
undone within the window (a quick reconnect) is not published at all. The frames themselves stay
one per (recipient, user): that is the protocol, so N members connecting at once still means
about N²/2 frames, each cheap (encoded once, the same text written to every socket).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mtchat.db.models import Participant
from mtchat.events.realtime import PresenceUpdate

if TYPE_CHECKING:
    from mtchat.runtime import Runtime

log = logging.getLogger("mtchat.presence")

WINDOW_SECONDS = 0.05
CHUNK = 500  # users per IN (...) list: well under SQLite's bound-parameter limit


class PresenceFanout:
    def __init__(self, runtime: Runtime, window: float = WINDOW_SECONDS) -> None:
        self.runtime = runtime
        self.window = window
        self._pending: dict[str, bool] = {}
        self._wake = asyncio.Event()
        self._running = False

    def changed(self, user_id: str, is_online: bool) -> None:
        """Record that ``user_id`` came online / went offline (in this process); published shortly."""
        if user_id in self._pending:
            # Online and offline alternate per user: a pending opposite change is undone by this one.
            del self._pending[user_id]
            return
        self._pending[user_id] = is_online
        if not self._running:
            self._running = True
            self.runtime.spawn(self._run(), "presence-fanout")
        self._wake.set()

    async def _run(self) -> None:
        try:
            while True:
                await self.runtime.idle(3600, self._wake)
                self._wake.clear()
                if self.runtime.stopping.is_set():
                    await self.flush()  # shutting down: publish what is left, now
                    return
                await asyncio.sleep(self.window)  # let this window's changes gather
                await self.flush()
        finally:
            self._running = False

    async def flush(self) -> None:
        changes, self._pending = self._pending, {}
        if not changes:
            return
        try:
            dialogs_of, members_of = await self._memberships(changes)
            deliveries: list[tuple[set[str], dict[str, Any]]] = []
            # Whoever came online after this change (later in this window, or since it closed) was not
            # online when it happened, and reads the state from the participants list: as without the
            # window, N members connecting one after another cost N²/2 frames, not N².
            later = {user_id for user_id, is_online in changes.items() if is_online}
            later |= {user_id for user_id, is_online in self._pending.items() if is_online}
            for user_id, is_online in changes.items():
                later.discard(user_id)
                recipients: set[str] = set()
                for dialog_id in dialogs_of.get(user_id, ()):
                    recipients |= members_of[dialog_id]
                recipients.discard(user_id)
                recipients -= later
                if recipients:
                    event = PresenceUpdate(user_id=user_id, is_online=is_online).model_dump(mode="json")
                    deliveries.append((recipients, event))
            await self.runtime.hub.publish_many(deliveries)
        except Exception:
            log.exception("presence publish failed for %d user(s)", len(changes))

    async def _memberships(self, users: Iterable[str]) -> tuple[dict[str, list[Any]], dict[Any, set[str]]]:
        """For these users: the dialogs of each, and the members of each of those dialogs."""
        wanted = list(users)
        dialogs_of: dict[str, list[Any]] = {}
        members_of: dict[Any, set[str]] = {}
        async with self.runtime.read() as session:
            for i in range(0, len(wanted), CHUNK):
                chunk = wanted[i : i + CHUNK]
                theirs = select(Participant.dialog_id).where(Participant.user_id.in_(chunk))
                rows = await session.execute(
                    select(Participant.dialog_id, Participant.user_id).where(Participant.dialog_id.in_(theirs))
                )
                for dialog_id, user_id in rows:
                    members_of.setdefault(dialog_id, set()).add(user_id)
        changed = set(wanted)
        for dialog_id, members in members_of.items():
            for user_id in members & changed:
                dialogs_of.setdefault(user_id, []).append(dialog_id)
        return dialogs_of, members_of
