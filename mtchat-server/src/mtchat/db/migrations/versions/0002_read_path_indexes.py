"""read-path indexes: available list by tenant + activity, full-text message search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:45:00

* ``access_scopes.activity_at``: a copy of ``dialogs.activity_at`` kept by a trigger on ``dialogs``,
  indexed as ``(tenant_uid, activity_at, dialog_id)`` so the "available" list walks one tenant's scopes
  newest first instead of every dialog of the installation (docs/decisions/002).
* PostgreSQL only: ``messages.search_tsv``, a stored ``to_tsvector('simple', text)`` with a GIN index, for
  message search (word-prefix full-text, any language: the ``simple`` configuration does not stem). Its
  statistics let the planner choose between "my dialogs' messages, filtered" and "the word's messages,
  filtered by membership" (docs/decisions/002). Adding the column rewrites ``messages``: about a minute
  per million messages on the benchmark machine (docs/operations.md, upgrades).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mtchat.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mtchat_scope_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.activity_at IS DISTINCT FROM OLD.activity_at THEN
        UPDATE access_scopes SET activity_at = NEW.activity_at WHERE dialog_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = """
CREATE TRIGGER trg_dialogs_scope_activity AFTER UPDATE OF activity_at ON dialogs
FOR EACH ROW EXECUTE FUNCTION mtchat_scope_activity()
"""
_SQLITE_TRIGGER = """
CREATE TRIGGER trg_dialogs_scope_activity AFTER UPDATE OF activity_at ON dialogs
FOR EACH ROW WHEN NEW.activity_at IS NOT OLD.activity_at
BEGIN
    UPDATE access_scopes SET activity_at = NEW.activity_at WHERE dialog_id = NEW.id;
END
"""


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"

    op.add_column("access_scopes", sa.Column("activity_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE access_scopes SET activity_at = "
        "(SELECT dialogs.activity_at FROM dialogs WHERE dialogs.id = access_scopes.dialog_id)"
    )
    with op.batch_alter_table("access_scopes") as batch:
        batch.alter_column("activity_at", existing_type=UTCDateTime(), nullable=False)
    op.drop_index("ix_access_scopes_tenant", table_name="access_scopes")
    op.create_index(
        "ix_access_scopes_tenant_activity", "access_scopes", ["tenant_uid", "activity_at", "dialog_id"], unique=False
    )
    if pg:
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
        _create_search_column()
    else:
        op.execute(_SQLITE_TRIGGER)


def _create_search_column() -> None:
    op.execute(
        "ALTER TABLE messages ADD COLUMN search_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED"
    )
    op.execute("CREATE INDEX ix_messages_search_tsv ON messages USING gin (search_tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_dialogs_scope_activity ON dialogs")
        op.execute("DROP FUNCTION IF EXISTS mtchat_scope_activity()")
        op.execute("DROP INDEX IF EXISTS ix_messages_search_tsv")
        op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search_tsv")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_dialogs_scope_activity")
    op.drop_index("ix_access_scopes_tenant_activity", table_name="access_scopes")
    op.create_index("ix_access_scopes_tenant", "access_scopes", ["tenant_uid", "dialog_id"], unique=False)
    with op.batch_alter_table("access_scopes") as batch:
        batch.drop_column("activity_at")
