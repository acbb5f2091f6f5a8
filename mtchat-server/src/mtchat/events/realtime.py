"""The WebSocket protocol (SPEC §5.4): one pydantic model per server → client event.

Services build these and hand them to ``Tx.emit``; they reach sockets only after commit.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class RealtimeEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str


class MessageNew(RealtimeEvent):
    type: Literal["message.new"] = "message.new"
    dialog_id: uuid.UUID
    message: dict[str, Any]


class MessageEdited(RealtimeEvent):
    type: Literal["message.edited"] = "message.edited"
    dialog_id: uuid.UUID
    message: dict[str, Any]


class MessageDeleted(RealtimeEvent):
    type: Literal["message.deleted"] = "message.deleted"
    dialog_id: uuid.UUID
    message_id: uuid.UUID


class MessageRead(RealtimeEvent):
    type: Literal["message.read"] = "message.read"
    dialog_id: uuid.UUID
    user_id: str
    last_read_message_id: uuid.UUID


class ParticipantJoined(RealtimeEvent):
    type: Literal["participant.joined"] = "participant.joined"
    dialog_id: uuid.UUID
    user_id: str
    display_name: str | None = None


class ParticipantLeft(RealtimeEvent):
    type: Literal["participant.left"] = "participant.left"
    dialog_id: uuid.UUID
    user_id: str


class DialogAdded(RealtimeEvent):
    type: Literal["dialog.added"] = "dialog.added"
    dialog_id: uuid.UUID


class DialogRemoved(RealtimeEvent):
    type: Literal["dialog.removed"] = "dialog.removed"
    dialog_id: uuid.UUID


class DialogUpdated(RealtimeEvent):
    type: Literal["dialog.updated"] = "dialog.updated"
    dialog_id: uuid.UUID


class DialogDeleted(RealtimeEvent):
    type: Literal["dialog.deleted"] = "dialog.deleted"
    dialog_id: uuid.UUID


class DialogArchived(RealtimeEvent):
    type: Literal["dialog.archived"] = "dialog.archived"
    dialog_id: uuid.UUID


class DialogUnarchived(RealtimeEvent):
    type: Literal["dialog.unarchived"] = "dialog.unarchived"
    dialog_id: uuid.UUID


class PresenceUpdate(RealtimeEvent):
    type: Literal["presence.update"] = "presence.update"
    user_id: str
    is_online: bool


class Typing(RealtimeEvent):
    type: Literal["typing"] = "typing"
    dialog_id: uuid.UUID
    user_id: str


class Connected(RealtimeEvent):
    type: Literal["connected"] = "connected"
    user_id: str


class Pong(RealtimeEvent):
    type: Literal["pong"] = "pong"


class ErrorEvent(RealtimeEvent):
    type: Literal["error"] = "error"
    message: str


EVENT_MODELS: dict[str, type[RealtimeEvent]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        MessageNew,
        MessageEdited,
        MessageDeleted,
        MessageRead,
        ParticipantJoined,
        ParticipantLeft,
        DialogAdded,
        DialogRemoved,
        DialogUpdated,
        DialogDeleted,
        DialogArchived,
        DialogUnarchived,
        PresenceUpdate,
        Typing,
        Connected,
        Pong,
        ErrorEvent,
    )
}
