"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 05:39:20.829260
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mtchat.db.types import JsonType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "dialogs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_type", sa.String(length=255), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("object_url", sa.Text(), nullable=True),
        sa.Column("meta", JsonType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_message_at", UTCDateTime(), nullable=True),
        sa.Column("activity_at", UTCDateTime(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("participants_count", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_dialogs_idempotency_key")),
    )
    op.create_index("ix_dialogs_activity", "dialogs", ["activity_at", "id"], unique=False)
    op.create_index("ix_dialogs_object", "dialogs", ["object_type", "object_id", "activity_at"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_created", "webhook_deliveries", ["created_at"], unique=False)
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"], unique=False
    )
    op.create_table(
        "access_scopes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_uid", sa.String(length=255), nullable=False),
        sa.Column("scope_level1", JsonType, nullable=False),
        sa.Column("scope_level2", JsonType, nullable=False),
        sa.Column("level1_any", sa.Boolean(), nullable=False),
        sa.Column("level2_any", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialog_id"], ["dialogs.id"], name=op.f("fk_access_scopes_dialog_id_dialogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_scopes")),
    )
    op.create_index("ix_access_scopes_dialog", "access_scopes", ["dialog_id"], unique=False)
    op.create_index("ix_access_scopes_tenant", "access_scopes", ["tenant_uid", "dialog_id"], unique=False)
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("message_type", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_to_id", sa.Uuid(), nullable=True),
        sa.Column("mentions", JsonType, nullable=False),
        sa.Column("client_message_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("last_edited_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dialog_id"], ["dialogs.id"], name=op.f("fk_messages_dialog_id_dialogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "dialog_id",
            "sender_id",
            "client_message_id",
            name=op.f("uq_messages_dialog_id_sender_id_client_message_id"),
        ),
        sa.UniqueConstraint("dialog_id", "seq", name=op.f("uq_messages_dialog_id_seq")),
    )
    op.create_table(
        "participants",
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("joined_as", sa.String(length=16), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("last_read_message_id", sa.Uuid(), nullable=True),
        sa.Column("last_read_seq", sa.BigInteger(), nullable=False),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("notifications_enabled", sa.Boolean(), nullable=False),
        sa.Column("activity_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialog_id"], ["dialogs.id"], name=op.f("fk_participants_dialog_id_dialogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dialog_id", "user_id", name=op.f("pk_participants")),
    )
    op.create_index(
        "ix_participants_user_list",
        "participants",
        ["user_id", "is_archived", "is_pinned", "activity_at", "dialog_id"],
        unique=False,
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("uploader_id", sa.String(length=255), nullable=False),
        sa.Column("s3_key", sa.String(length=512), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialog_id"], ["dialogs.id"], name=op.f("fk_attachments_dialog_id_dialogs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_attachments_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("s3_key", name=op.f("uq_attachments_s3_key")),
    )
    op.create_index(op.f("ix_attachments_dialog_id"), "attachments", ["dialog_id"], unique=False)
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"], unique=False)
    op.create_index("ix_attachments_status_created", "attachments", ["status", "created_at"], unique=False)
    op.create_table(
        "message_edits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("previous_content", sa.Text(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=False),
        sa.Column("editor_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_edits_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_edits")),
    )
    op.create_index(op.f("ix_message_edits_message_id"), "message_edits", ["message_id"], unique=False)
    op.create_table(
        "pending_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("message_seq", sa.BigInteger(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dialog_id"],
            ["dialogs.id"],
            name=op.f("fk_pending_notifications_dialog_id_dialogs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_pending_notifications_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_notifications")),
        sa.UniqueConstraint(
            "dialog_id", "recipient_id", name=op.f("uq_pending_notifications_dialog_id_recipient_id")
        ),
    )
    op.create_index("ix_pending_notifications_due", "pending_notifications", ["due_at"], unique=False)
    op.create_table(
        "scope_values",
        sa.Column("scope_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_id"],
            ["access_scopes.id"],
            name=op.f("fk_scope_values_scope_id_access_scopes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scope_id", "level", "value", name=op.f("pk_scope_values")),
    )
    op.create_index("ix_scope_values_lookup", "scope_values", ["level", "value", "scope_id"], unique=False)


def downgrade() -> None:

    op.drop_index("ix_scope_values_lookup", table_name="scope_values")
    op.drop_table("scope_values")
    op.drop_index("ix_pending_notifications_due", table_name="pending_notifications")
    op.drop_table("pending_notifications")
    op.drop_index(op.f("ix_message_edits_message_id"), table_name="message_edits")
    op.drop_table("message_edits")
    op.drop_index("ix_attachments_status_created", table_name="attachments")
    op.drop_index(op.f("ix_attachments_message_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_dialog_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_participants_user_list", table_name="participants")
    op.drop_table("participants")
    op.drop_table("messages")
    op.drop_index("ix_access_scopes_tenant", table_name="access_scopes")
    op.drop_index("ix_access_scopes_dialog", table_name="access_scopes")
    op.drop_table("access_scopes")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_created", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_dialogs_object", table_name="dialogs")
    op.drop_index("ix_dialogs_activity", table_name="dialogs")
    op.drop_table("dialogs")
