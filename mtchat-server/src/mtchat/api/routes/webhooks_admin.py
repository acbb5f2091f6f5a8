"""Management routes for the webhook delivery log (SPEC §5.2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from mtchat.api.deps import CurrentAdmin, RuntimeDep
from mtchat.api.schemas.common import ERROR_RESPONSES, Envelope
from mtchat.db.models import WebhookDelivery
from mtchat.errors import DeliveryNotFound
from mtchat.workers.webhook_delivery import redeliver

router = APIRouter(prefix="/api/v1/management/webhooks", tags=["management"], responses=ERROR_RESPONSES)


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event: str
    status: str
    attempts: int
    last_error: str | None
    last_status_code: int | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, object]

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=row.id,
            event=row.event,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            last_status_code=row.last_status_code,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            payload=row.payload,
        )


@router.get("/deliveries")
async def list_deliveries(
    runtime: RuntimeDep,
    _admin: CurrentAdmin,
    status: Literal["pending", "delivered", "failed"] | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> Envelope[list[DeliveryOut]]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    async with runtime.read() as session:
        rows = list(await session.scalars(stmt))
    return Envelope(data=[DeliveryOut.of(r) for r in rows])


@router.post("/deliveries/{delivery_id}/redeliver")
async def redeliver_one(runtime: RuntimeDep, _admin: CurrentAdmin, delivery_id: uuid.UUID) -> Envelope[DeliveryOut]:
    row = await redeliver(runtime, delivery_id)
    if row is None:
        raise DeliveryNotFound()
    return Envelope(data=DeliveryOut.of(row))
