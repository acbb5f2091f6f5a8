"""Deliver the webhook outbox: claim due rows, POST them signed, back off, give up after the horizon.

State machine per row: pending --2xx--> delivered; pending --error--> pending (attempts+1,
next_attempt_at = now + capped exponential backoff with full jitter); past ``webhook_max_age_seconds``
since creation --> failed (redeliverable through the Management API). A claim sets ``locked_until``
(on PostgreSQL under ``FOR UPDATE SKIP LOCKED``), so several workers never send one attempt at once;
a worker that dies mid-send leaves a lock that simply expires, and the row is sent again (at least once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update

from mtchat.db.models import WebhookDelivery
from mtchat.db.types import utcnow
from mtchat.runtime import Runtime
from mtchat.webhooks.signing import sign_headers

log = logging.getLogger("mtchat.webhooks")

BATCH = 20
BASE_DELAY = 1.0
MAX_DELAY = 600.0


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Full jitter over a capped exponential: attempt 1 → up to 1 s, 2 → 2 s … capped at 10 min."""
    cap = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return (rng or random.Random()).uniform(cap / 2, cap)  # noqa: S311 - jitter, not crypto


def envelope(row: WebhookDelivery) -> bytes:
    body = {"id": str(row.id), "event": row.event, "created_at": row.created_at.isoformat(), "data": row.payload}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def claim_due(runtime: Runtime, now: datetime, lease: float) -> list[WebhookDelivery]:
    """Lease up to BATCH due rows in one ``UPDATE … RETURNING`` statement.

    One statement is atomic on both databases: on PostgreSQL the inner ``FOR UPDATE SKIP LOCKED``
    lets concurrent workers take disjoint rows; on SQLite the statement holds the write lock.
    """
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(BATCH)
    )
    if not runtime.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    async with runtime.tx() as tx:
        rows = await tx.session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(due.scalar_subquery()),
                or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
            )
            .values(locked_until=now + timedelta(seconds=lease))
            .returning(WebhookDelivery)
            .execution_options(synchronize_session=False)
        )
        return list(rows)


async def deliver_one(runtime: Runtime, client: httpx.AsyncClient, row: WebhookDelivery) -> None:
    settings = runtime.settings
    url, secret = settings.webhook_url, settings.webhook_secret or ""
    body = envelope(row)
    status_code: int | None = None
    error: str | None = None
    if url is None:
        error = "WEBHOOK_URL is not configured"
    else:
        try:
            resp = await client.post(url, content=body, headers=sign_headers(secret, str(row.id), row.event, body))
            status_code = resp.status_code
            if not 200 <= resp.status_code < 300:
                error = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    now = utcnow()
    async with runtime.tx() as tx:
        current = await tx.session.get(WebhookDelivery, row.id)
        if current is None:
            return
        current.attempts += 1
        current.last_status_code = status_code
        current.locked_until = None
        if error is None:
            current.status, current.delivered_at, current.last_error = "delivered", now, None
            return
        current.last_error = error
        age = (now - current.created_at).total_seconds()
        if age >= settings.webhook_max_age_seconds:
            current.status = "failed"
            log.warning("webhook %s (%s) failed for good: %s", current.id, current.event, error)
        else:
            current.next_attempt_at = now + timedelta(seconds=backoff_seconds(current.attempts))


async def run_once(runtime: Runtime, client: httpx.AsyncClient) -> int:
    lease = runtime.settings.webhook_timeout_seconds + 30
    rows = await claim_due(runtime, utcnow(), lease)
    if rows:
        await asyncio.gather(*(deliver_one(runtime, client, row) for row in rows))
    return len(rows)


async def delivery_loop(runtime: Runtime) -> None:
    timeout = httpx.Timeout(runtime.settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        while not runtime.stopping.is_set():
            try:
                sent = await run_once(runtime, client)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery round failed")
                sent = 0
            if sent:
                continue
            runtime.webhook_wakeup.clear()
            await runtime.idle(runtime.settings.webhook_poll_seconds, runtime.webhook_wakeup)


async def redeliver(runtime: Runtime, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    """Re-queue one delivery now (any status); its horizon starts again."""
    now = utcnow()
    async with runtime.tx() as tx:
        row = await tx.session.get(WebhookDelivery, delivery_id)
        if row is None:
            return None
        row.status, row.next_attempt_at, row.locked_until, row.created_at = "pending", now, None, now
        runtime.wake_webhooks()
        return row
