"""Request bodies of the Management API and the dialog side of the Chat API (SPEC §5.2, §5.3)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mtchat.domain.limits import (
    MAX_CONTENT,
    MAX_EMAIL,
    MAX_ID,
    MAX_NAME,
    MAX_PARTICIPANTS_PER_REQUEST,
    MAX_PHONE,
    MAX_SCOPE_VALUES,
    MAX_SCOPES,
    MAX_TITLE,
)

IdStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
ScopeValueStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Profile(_Body):
    display_name: str | None = Field(default=None, max_length=MAX_NAME)
    company: str | None = Field(default=None, max_length=MAX_NAME)
    email: str | None = Field(default=None, max_length=MAX_EMAIL)
    phone: str | None = Field(default=None, max_length=MAX_PHONE)


class ParticipantIn(Profile):
    user_id: IdStr


class ScopeIn(_Body):
    tenant_uid: IdStr
    scope_level1: list[ScopeValueStr] = Field(default_factory=list, max_length=MAX_SCOPE_VALUES)
    scope_level2: list[ScopeValueStr] = Field(default_factory=list, max_length=MAX_SCOPE_VALUES)


class DialogCreate(_Body):
    object_id: IdStr
    object_type: IdStr
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    object_url: str | None = Field(default=None, max_length=2048)
    meta: dict[str, Any] | None = None
    participants: list[IdStr | ParticipantIn] = Field(
        default_factory=list, max_length=MAX_PARTICIPANTS_PER_REQUEST
    )
    access_scopes: list[ScopeIn] = Field(default_factory=list, max_length=MAX_SCOPES)


class DialogSearch(_Body):
    object_id: IdStr
    object_type: IdStr
    access_scopes: list[ScopeIn] = Field(default_factory=list, max_length=MAX_SCOPES)


class DialogPatch(_Body):
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    object_url: str | None = Field(default=None, max_length=2048)
    meta: dict[str, Any] | None = None


class ScopesPut(_Body):
    access_scopes: list[ScopeIn] = Field(max_length=MAX_SCOPES)


class ManagementMessageIn(_Body):
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    sender_id: IdStr | None = None


class JoinIn(Profile):
    pass


class NotificationsIn(_Body):
    enabled: bool
