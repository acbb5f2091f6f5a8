"""Everything built once per process and shared by requests, sockets and workers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mtchat.db.models import WebhookDelivery
from mtchat.db.types import utcnow
from mtchat.ids import new_id
from mtchat.realtime.hub import Hub
from mtchat.settings import Settings

if TYPE_CHECKING:
    from mtchat.ratelimit import RateLimiter
    from mtchat.realtime.presence import PresenceFanout
    from mtchat.storage.base import ObjectStore

log = logging.getLogger("mtchat")


@dataclass
class Tx:
    """One use case's transaction: the session plus what to do once it has committed.

    WebSocket events are queued and published only after commit (never for a change that rolls
    back); webhook events go into the outbox table inside the same transaction (never lost).
    """

    session: AsyncSession
    runtime: Runtime
    events: list[tuple[frozenset[str], dict[str, Any]]] = field(default_factory=list)
    callbacks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def emit(self, recipients: Iterable[str], event: BaseModel | dict[str, Any]) -> None:
        payload = event.model_dump(mode="json") if isinstance(event, BaseModel) else event
        who = frozenset(recipients)
        if who:
            self.events.append((who, payload))

    def webhook(self, event: str, data: dict[str, Any], *, at: datetime | None = None) -> uuid.UUID | None:
        """Write a webhook event to the outbox (no-op when no WEBHOOK_URL is configured)."""
        if not self.runtime.settings.webhook_url:
            return None
        now = at or utcnow()
        row = WebhookDelivery(
            id=new_id(),
            event=event,
            payload=data,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(row)
        self.runtime.wake_webhooks()
        return row.id

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.callbacks.append(callback)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    hub: Hub
    rate_limiter: RateLimiter
    # SQLite has one writer: serialising our own write transactions avoids "database is locked".
    write_lock: asyncio.Lock | None = None
    webhook_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set on shutdown: background loops finish their current round and return (never cancelled
    # mid-query, which would leave a database driver thread talking to a closed event loop).
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    storage: ObjectStore | None = None
    presence: PresenceFanout = field(init=False)

    def __post_init__(self) -> None:
        from mtchat.realtime.presence import PresenceFanout

        self.presence = PresenceFanout(self)
        # Same pool; connections checked out through it run without a transaction (see read()).
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def wake_webhooks(self) -> None:
        self.webhook_wakeup.set()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only, in autocommit: no BEGIN/ROLLBACK round trips per request.

        Each statement sees what was committed when it started, which is also all a READ COMMITTED
        transaction would give; nothing here relies on one snapshot across statements.
        """
        async with self.sessions(bind=self._autocommit) as session:
            yield session

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        async with self._writer():
            tx = Tx(session=self.sessions(), runtime=self)
            try:
                yield tx
                await tx.session.commit()
            except BaseException:
                await tx.session.rollback()
                raise
            finally:
                await tx.session.close()
        await self._after_commit(tx)

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self.write_lock is None:
            yield
        else:
            async with self.write_lock:
                yield

    async def _after_commit(self, tx: Tx) -> None:
        if tx.events:
            try:
                await self.hub.publish_many(tx.events)
            except Exception:  # a fan-out hiccup must not turn a committed write into a 500
                log.exception("realtime publish failed for %s", [payload.get("type") for _, payload in tx.events])
        for callback in tx.callbacks:
            try:
                await callback()
            except Exception:
                log.exception("after-commit callback failed")

    async def idle(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep between rounds of a background loop; returns early on shutdown (or ``wake``)."""
        waiters = [asyncio.ensure_future(self.stopping.wait())]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def stop_background(self, grace: float = 10.0) -> None:
        self.stopping.set()
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace)
        self.tasks.clear()

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self.tasks.append(task)
