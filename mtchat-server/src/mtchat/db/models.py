"""Tables. Queries these indexes serve are listed in docs/decisions/002-schema-and-indexes.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mtchat.db.types import JsonType, UTCDateTime, utcnow
from mtchat.ids import new_id

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Dialog(Base):
    __tablename__ = "dialogs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    object_type: Mapped[str] = mapped_column(String(255))
    object_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    object_url: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # created_at until the first message, then last_message_at: the "latest activity" sort key.
    activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Per-dialog message counter, bumped under the dialog's row lock: commit order == seq order,
    # so paging by seq never skips a message committed late (see docs/decisions/003).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    participants_count: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)

    __table_args__ = (
        Index("ix_dialogs_object", "object_type", "object_id", "activity_at"),
        Index("ix_dialogs_activity", "activity_at", "id"),
    )


class AccessScope(Base):
    """A rule for potential participants; the level lists are also exploded into scope_values."""

    __tablename__ = "access_scopes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dialog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"))
    tenant_uid: Mapped[str] = mapped_column(String(255))
    scope_level1: Mapped[list[str]] = mapped_column(JsonType, default=list)
    scope_level2: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # True when the list at that level is empty (= any value matches).
    level1_any: Mapped[bool] = mapped_column(Boolean, default=True)
    level2_any: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copy of dialogs.activity_at (a trigger on dialogs keeps it, migration 0002): the "available" list
    # walks (tenant_uid, activity_at, dialog_id) instead of every dialog of the installation.
    activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_access_scopes_tenant_activity", "tenant_uid", "activity_at", "dialog_id"),
        Index("ix_access_scopes_dialog", "dialog_id"),
    )


class ScopeValue(Base):
    __tablename__ = "scope_values"

    scope_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_scopes.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)

    __table_args__ = (Index("ix_scope_values_lookup", "level", "value", "scope_id"),)


class Participant(Base):
    __tablename__ = "participants"

    dialog_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dialogs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    joined_as: Mapped[str] = mapped_column(String(16))  # participant | joined
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    notifications_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copy of dialogs.activity_at so "my dialogs, pinned first, latest first" is one index range.
    activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_participants_user_list", "user_id", "is_archived", "is_pinned", "activity_at", "dialog_id"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dialog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    sender_id: Mapped[str | None] = mapped_column(String(255))
    sender_name: Mapped[str | None] = mapped_column(String(200))
    message_type: Mapped[str] = mapped_column(String(16))  # user | system
    content: Mapped[str] = mapped_column(Text)
    # Plain text of content, for search and webhook "text".
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mentions: Mapped[list[str]] = mapped_column(JsonType, default=list)
    client_message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("dialog_id", "seq"),
        UniqueConstraint("dialog_id", "sender_id", "client_message_id"),
    )


class MessageEdit(Base):
    __tablename__ = "message_edits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    previous_content: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[str] = mapped_column(String(255))


class Attachment(Base):
    """Issued at presign time (status ``pending``), bound to a message on send (``attached``)."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dialog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    uploader_id: Mapped[str] = mapped_column(String(255))
    s3_key: Mapped[str] = mapped_column(String(512), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | attached | deleted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_attachments_status_created", "status", "created_at"),)


class WebhookDelivery(Base):
    """The transactional outbox: written with the change, delivered by workers/webhook_delivery.py."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )


class PendingNotification(Base):
    """A `notification.pending` candidate: checked at ``due_at`` against the recipient's read state."""

    __tablename__ = "pending_notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dialog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"))
    recipient_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    message_seq: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("dialog_id", "recipient_id"),
        Index("ix_pending_notifications_due", "due_at"),
    )
