"""Auto-archive: a participant's dialog with no activity for ARCHIVE_AFTER_SECONDS moves to their
archive (pinned dialogs stay). A new message unarchives it again (services/messages.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select, tuple_, update

from mtchat.db.models import Participant
from mtchat.db.types import utcnow
from mtchat.events.realtime import DialogArchived
from mtchat.runtime import Runtime

log = logging.getLogger("mtchat.archive")

BATCH = 1000


async def archive_inactive(runtime: Runtime) -> int:
    after = runtime.settings.archive_after_seconds
    if after <= 0:
        return 0
    cutoff = utcnow() - timedelta(seconds=after)
    async with runtime.tx() as tx:
        stmt = (
            select(Participant.dialog_id, Participant.user_id)
            .where(
                Participant.is_archived.is_(False),
                Participant.is_pinned.is_(False),
                Participant.activity_at < cutoff,
            )
            .limit(BATCH)
        )
        if not runtime.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = [(d, u) for d, u in (await tx.session.execute(stmt)).all()]
        if not rows:
            return 0
        await tx.session.execute(
            update(Participant)
            .where(tuple_(Participant.dialog_id, Participant.user_id).in_(rows))
            .values(is_archived=True)
            .execution_options(synchronize_session=False)
        )
        for dialog_id, user_id in rows:
            tx.emit([user_id], DialogArchived(dialog_id=dialog_id))
        return len(rows)


async def archive_loop(runtime: Runtime) -> None:
    while not runtime.stopping.is_set():
        try:
            done = await archive_inactive(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("auto-archive round failed")
            done = 0
        if done < BATCH:
            await runtime.idle(runtime.settings.archive_check_seconds)
