"""Chat API, dialog side (SPEC §5.3): user token. Thin: parse → service → serialize."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from mtchat.api.deps import CurrentUser, RuntimeDep
from mtchat.api.schemas.common import ERROR_RESPONSES, Envelope, Page, json_response
from mtchat.api.schemas.dialogs import JoinIn, NotificationsIn
from mtchat.domain.limits import DEFAULT_PAGE, MAX_ID, MAX_PAGE
from mtchat.errors import DialogNotFound
from mtchat.services import dialogs as svc

router = APIRouter(prefix="/api/v1", tags=["dialogs"], responses=ERROR_RESPONSES)

ObjectPart = Annotated[str, Path(min_length=1, max_length=MAX_ID)]


@router.get("/dialogs", response_model=Page[dict[str, Any]])
async def list_dialogs(
    runtime: RuntimeDep,
    user: CurrentUser,
    type: Literal["participating", "available"] = "participating",
    search: Annotated[str | None, Query(max_length=200)] = None,
    archived: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    data, next_cursor = await svc.list_dialogs(
        runtime, user, kind=type, search=search, archived=archived, limit=limit, cursor=cursor
    )
    return json_response(Page(data=data, next_cursor=next_cursor))


@router.get("/dialogs/by-object/{object_type}/{object_id}", response_model=Envelope[dict[str, Any]])
async def by_object(
    object_type: ObjectPart, object_id: ObjectPart, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[dict[str, Any]]:
    rows = await svc.by_object(runtime, user, object_type, object_id, limit=1)
    if not rows:
        raise DialogNotFound()
    return Envelope(data=rows[0])


@router.get("/dialogs/by-object/{object_type}/{object_id}/list", response_model=Envelope[list[dict[str, Any]]])
async def by_object_list(
    object_type: ObjectPart, object_id: ObjectPart, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[list[dict[str, Any]]]:
    return Envelope(data=await svc.by_object(runtime, user, object_type, object_id, limit=None))


@router.get("/dialogs/{dialog_id}", response_model=Envelope[dict[str, Any]])
async def get_dialog(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.get_dialog_for_user(runtime, user, dialog_id))


@router.post("/dialogs/{dialog_id}/join", response_model=Envelope[dict[str, Any]])
async def join(
    dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser, body: Annotated[JoinIn | None, Body()] = None
) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.join(runtime, user, dialog_id, body or JoinIn()))


@router.post("/dialogs/{dialog_id}/leave", response_model=Envelope[dict[str, Any]])
async def leave(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.leave(runtime, user, dialog_id))


@router.get("/dialogs/{dialog_id}/participants", response_model=Envelope[list[dict[str, Any]]])
async def participants(
    dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[list[dict[str, Any]]]:
    return Envelope(data=await svc.list_participants(runtime, user, dialog_id))


async def _state(
    runtime: RuntimeDep, user: CurrentUser, dialog_id: uuid.UUID, field: str, value: bool
) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.set_state(runtime, user, dialog_id, field, value))


@router.post("/dialogs/{dialog_id}/archive", response_model=Envelope[dict[str, Any]])
async def archive(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return await _state(runtime, user, dialog_id, "is_archived", True)


@router.post("/dialogs/{dialog_id}/unarchive", response_model=Envelope[dict[str, Any]])
async def unarchive(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return await _state(runtime, user, dialog_id, "is_archived", False)


@router.post("/dialogs/{dialog_id}/pin", response_model=Envelope[dict[str, Any]])
async def pin(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return await _state(runtime, user, dialog_id, "is_pinned", True)


@router.post("/dialogs/{dialog_id}/unpin", response_model=Envelope[dict[str, Any]])
async def unpin(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return await _state(runtime, user, dialog_id, "is_pinned", False)


@router.post("/dialogs/{dialog_id}/notifications", response_model=Envelope[dict[str, Any]])
async def notifications(
    dialog_id: uuid.UUID, body: NotificationsIn, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[dict[str, Any]]:
    return await _state(runtime, user, dialog_id, "notifications_enabled", body.enabled)


@router.get("/unread", response_model=Envelope[dict[str, Any]])
async def unread(runtime: RuntimeDep, user: CurrentUser) -> Envelope[dict[str, Any]]:
    return Envelope(data=await svc.unread(runtime, user))
