"""Bodies and shapes of the message side of the Chat API (SPEC §5.3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mtchat.domain.limits import MAX_CONTENT, MAX_ID

ContentStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONTENT)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AttachmentIn(_Body):
    """An upload from ``POST /upload/presign``: its ``s3_key`` (other fields are informative)."""

    s3_key: str = Field(min_length=1, max_length=512)
    filename: str | None = Field(default=None, max_length=255)


class SendMessageIn(_Body):
    # May be empty when the message carries attachments only.
    content: str = Field(default="", max_length=MAX_CONTENT)
    reply_to: uuid.UUID | None = None
    client_message_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    # The limit of 10 is checked by the service so it answers TOO_MANY_ATTACHMENTS.
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=100)


class EditMessageIn(_Body):
    content: ContentStr


class ReadIn(_Body):
    last_read_message_id: uuid.UUID


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    url: str | None = None
    thumbnail_url: str | None = None


class MessageOut(BaseModel):
    id: uuid.UUID
    dialog_id: uuid.UUID
    # Position in the dialog: 1, 2, 3 … in commit order, never reused (a deleted message leaves a gap).
    # A client that sees seq jump by more than one over its newest message fetches `after_seq=`.
    seq: int
    sender_id: str | None
    sender_name: str | None
    message_type: str
    content: str
    reply_to_id: uuid.UUID | None
    mentions: list[str]
    attachments: list[AttachmentOut]
    sent_at: datetime
    last_edited_at: datetime | None
    client_message_id: str | None


class HistoryOut(BaseModel):
    messages: list[MessageOut]
    has_more_before: bool
    has_more_after: bool
    first_unread_message_id: uuid.UUID | None


class ReadStateOut(BaseModel):
    dialog_id: uuid.UUID
    last_read_message_id: uuid.UUID | None
    unread_count: int


class ReaderOut(BaseModel):
    user_id: str
    display_name: str | None
    last_read_message_id: uuid.UUID | None
