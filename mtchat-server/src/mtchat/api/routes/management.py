"""Management API (SPEC §5.2): host backend → MTChat, admin token. Thin: parse → service → serialize."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from mtchat.api.deps import CurrentAdmin, RuntimeDep
from mtchat.api.schemas.common import ERROR_RESPONSES, Envelope
from mtchat.api.schemas.dialogs import (
    DialogCreate,
    DialogPatch,
    DialogSearch,
    ManagementMessageIn,
    ParticipantIn,
    ScopesPut,
)
from mtchat.domain.limits import MAX_ID
from mtchat.services import dialogs as svc

router = APIRouter(prefix="/api/v1/management/dialogs", tags=["management"], responses=ERROR_RESPONSES)

@router.post("", status_code=201, response_model=Envelope[dict[str, Any]])
async def create_dialog(
    body: DialogCreate,
    runtime: RuntimeDep,
    _admin: CurrentAdmin,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Envelope[dict[str, Any]]:
    data, created = await svc.create_dialog(runtime, body, idempotency_key)
    response.status_code = 201 if created else 200
    return Envelope(data=data)


@router.post("/search", response_model=Envelope[dict[str, Any] | None])
async def search_dialog(
    body: DialogSearch, runtime: RuntimeDep, _admin: CurrentAdmin
) -> Envelope[dict[str, Any] | None]:
    return Envelope(data=await svc.search_dialog(runtime, body))


@router.get("", response_model=Envelope[list[dict[str, Any]]])
async def list_dialogs(
    runtime: RuntimeDep,
    _admin: CurrentAdmin,
    object_type: Annotated[str, Query(min_length=1, max_length=MAX_ID)],
    object_id: Annotated[str, Query(min_length=1, max_length=MAX_ID)],
) -> Envelope[list[dict[str, Any]]]:
    return Envelope(data=await svc.list_by_object_admin(runtime, object_type, object_id))


@router.get("/{dialog_id}", response_model=Envelope[dict[str, Any]])
async def get_dialog(dialog_id: uuid.UUID, runtime: RuntimeDep, _admin: CurrentAdmin) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.get_dialog_admin(runtime, dialog_id))


@router.patch("/{dialog_id}", response_model=Envelope[dict[str, Any]])
async def patch_dialog(
    dialog_id: uuid.UUID, body: DialogPatch, runtime: RuntimeDep, _admin: CurrentAdmin
) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.patch_dialog(runtime, dialog_id, body))


@router.delete("/{dialog_id}", status_code=204)
async def delete_dialog(dialog_id: uuid.UUID, runtime: RuntimeDep, _admin: CurrentAdmin) -> Response:
    await svc.delete_dialog(runtime, dialog_id)
    return Response(status_code=204)


@router.post("/{dialog_id}/participants", status_code=201, response_model=Envelope[dict[str, Any]])
async def add_participant(
    dialog_id: uuid.UUID, body: ParticipantIn, runtime: RuntimeDep, _admin: CurrentAdmin, response: Response
) -> Envelope[dict[str, Any]]:
    data, created = await svc.add_participant(runtime, dialog_id, body)
    response.status_code = 201 if created else 200
    return Envelope(data=data)


@router.delete("/{dialog_id}/participants/{user_id}", status_code=204)
async def remove_participant(
    dialog_id: uuid.UUID,
    user_id: Annotated[str, Path(max_length=MAX_ID)],
    runtime: RuntimeDep,
    _admin: CurrentAdmin,
) -> Response:
    await svc.remove_participant(runtime, dialog_id, user_id)
    return Response(status_code=204)


@router.put("/{dialog_id}/access-scopes", response_model=Envelope[list[dict[str, Any]]])
async def replace_scopes(
    dialog_id: uuid.UUID, body: ScopesPut, runtime: RuntimeDep, _admin: CurrentAdmin
) -> Envelope[list[dict[str, Any]]]:
    return Envelope(data=await svc.replace_scopes(runtime, dialog_id, body.access_scopes))


@router.post("/{dialog_id}/messages", status_code=201, response_model=Envelope[dict[str, Any]])
async def post_message(
    dialog_id: uuid.UUID, body: ManagementMessageIn, runtime: RuntimeDep, _admin: CurrentAdmin
) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.post_management_message(runtime, dialog_id, body))
