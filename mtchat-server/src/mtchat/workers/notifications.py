"""Smart notifications: `notification.pending` for messages still unread after a delay.

Rule (one per recipient per burst): when a message arrives, each other participant with
notifications enabled gets a pending row for (dialog, recipient) **unless one is already waiting**;
the waiting row keeps the first unread message of the burst and its due time. When the row falls due,
the webhook is written only if the recipient is still a participant, still has notifications on and
has not read up to that message; otherwise the row is dropped. Reading in time therefore cancels it,
and a burst of ten messages yields one notification, about the first of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from mtchat.db.models import Dialog, Message, Participant, PendingNotification
from mtchat.db.types import utcnow
from mtchat.runtime import Runtime, Tx

log = logging.getLogger("mtchat.notifications")

BATCH = 100


async def schedule_notifications(tx: Tx, dialog_id: Any, message: Message, recipients: Iterable[str]) -> None:
    """Call inside the send transaction, with the recipients that have notifications enabled."""
    if not tx.runtime.settings.webhook_url:
        return
    wanted = set(recipients)
    if not wanted:
        return
    existing = set(
        await tx.session.scalars(
            select(PendingNotification.recipient_id).where(
                PendingNotification.dialog_id == dialog_id, PendingNotification.recipient_id.in_(wanted)
            )
        )
    )
    due = message.sent_at + timedelta(seconds=tx.runtime.settings.notification_delay_seconds)
    for recipient in sorted(wanted - existing):
        tx.session.add(
            PendingNotification(
                dialog_id=dialog_id, recipient_id=recipient, message_id=message.id, message_seq=message.seq, due_at=due
            )
        )


async def process_due(runtime: Runtime) -> int:
    now = utcnow()
    async with runtime.tx() as tx:
        stmt = select(PendingNotification).where(PendingNotification.due_at <= now).limit(BATCH)
        if not runtime.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(await tx.session.scalars(stmt))
        for row in rows:
            participant = await tx.session.get(Participant, (row.dialog_id, row.recipient_id))
            message = await tx.session.get(Message, row.message_id)
            dialog = await tx.session.get(Dialog, row.dialog_id)
            if (
                participant is not None
                and message is not None
                and dialog is not None
                and participant.notifications_enabled
                and participant.last_read_seq < row.message_seq
            ):
                tx.webhook(
                    "notification.pending",
                    {
                        "dialog_id": str(dialog.id),
                        "object_id": dialog.object_id,
                        "object_type": dialog.object_type,
                        "title": dialog.title,
                        "recipient_id": row.recipient_id,
                        "unread_count": participant.unread_count,
                        "message": {
                            "id": str(message.id),
                            "sender_id": message.sender_id,
                            "sender_name": message.sender_name,
                            "content": message.content,
                            "text": message.text,
                            "sent_at": message.sent_at.isoformat(),
                        },
                    },
                )
        if rows:
            await tx.session.execute(
                delete(PendingNotification).where(PendingNotification.id.in_([r.id for r in rows]))
            )
        return len(rows)


async def notification_loop(runtime: Runtime, interval: float = 0.5) -> None:
    while not runtime.stopping.is_set():
        try:
            done = await process_due(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("notification round failed")
            done = 0
        if not done:
            await runtime.idle(interval)
