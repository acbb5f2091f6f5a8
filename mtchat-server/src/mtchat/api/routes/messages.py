"""Chat API: messages, history, read state, receipts, search (SPEC §5.3)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from mtchat.api.deps import CurrentUser, RuntimeDep
from mtchat.api.schemas.common import ERROR_RESPONSES, Envelope, json_response
from mtchat.api.schemas.messages import (
    EditMessageIn,
    HistoryOut,
    MessageOut,
    ReaderOut,
    ReadIn,
    ReadStateOut,
    SendMessageIn,
)
from mtchat.domain.limits import DEFAULT_PAGE, MAX_PAGE
from mtchat.services import messages as svc

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERROR_RESPONSES)


@router.get("/dialogs/{dialog_id}/messages", response_model=Envelope[HistoryOut])
async def list_messages(
    dialog_id: uuid.UUID,
    runtime: RuntimeDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
    after_seq: Annotated[
        int | None,
        Query(ge=0, description="messages with a greater `seq`: a client's catch-up that never needs the "
                                "anchor message to still exist"),
    ] = None,
) -> Response:
    page = await svc.history(
        runtime, user, dialog_id, limit=limit, before=before, after=after, around=around, after_seq=after_seq
    )
    return json_response(Envelope(data=page))


@router.post(
    "/dialogs/{dialog_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[MessageOut],
    responses={200: {"description": "the same client_message_id was sent before: that message"}},
)
async def send_message(
    dialog_id: uuid.UUID, body: SendMessageIn, runtime: RuntimeDep, user: CurrentUser, response: Response
) -> Envelope[MessageOut]:
    message, created = await svc.send_message(runtime, user, dialog_id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return Envelope(data=message)


@router.get("/dialogs/{dialog_id}/messages/{message_id}", response_model=Envelope[MessageOut])
async def get_message(
    dialog_id: uuid.UUID, message_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[MessageOut]:
    return Envelope(data=await svc.get_message(runtime, user, dialog_id, message_id))


@router.put("/dialogs/{dialog_id}/messages/{message_id}", response_model=Envelope[MessageOut])
async def edit_message(
    dialog_id: uuid.UUID, message_id: uuid.UUID, body: EditMessageIn, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[MessageOut]:
    return Envelope(data=await svc.edit_message(runtime, user, dialog_id, message_id, body))


@router.delete("/dialogs/{dialog_id}/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(
    dialog_id: uuid.UUID, message_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    await svc.delete_message(runtime, user, dialog_id, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dialogs/{dialog_id}/messages/{message_id}/readers", response_model=Envelope[list[ReaderOut]])
async def message_readers(
    dialog_id: uuid.UUID, message_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[list[ReaderOut]]:
    return Envelope(data=await svc.readers(runtime, user, dialog_id, message_id))


@router.post("/dialogs/{dialog_id}/read", response_model=Envelope[ReadStateOut])
async def mark_read(
    dialog_id: uuid.UUID, body: ReadIn, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[ReadStateOut]:
    return Envelope(data=await svc.mark_read(runtime, user, dialog_id, body.last_read_message_id))


@router.get("/search/messages", response_model=Envelope[list[MessageOut]])
async def search_messages(
    runtime: RuntimeDep,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=svc.SEARCH_LIMIT)] = svc.SEARCH_LIMIT,
) -> Response:
    return json_response(Envelope(data=await svc.search(runtime, user, q, limit)))
