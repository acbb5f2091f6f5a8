"""Bodies and shapes of file uploads and downloads (SPEC §5.3)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from mtchat.domain.limits import MAX_NAME


class PresignIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dialog_id: uuid.UUID
    filename: str = Field(min_length=1, max_length=MAX_NAME)
    content_type: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)


class PresignOut(BaseModel):
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    s3_key: str
    expires_in: int


class DownloadUrlOut(BaseModel):
    url: str
    thumbnail_url: str | None
    expires_in: int
