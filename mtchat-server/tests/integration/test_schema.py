"""The migrations build exactly the schema the models describe, on the database under test.

Alembic's autogenerate comparison between ``mtchat.db.models`` and a database migrated to head: a
column, index or constraint added to one but not the other fails here instead of in production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Uuid, bindparam, select, text, update

from mtchat.db.engine import make_engine
from mtchat.db.migrate import alembic_config, upgrade_to_head
from mtchat.db.models import AccessScope, Base, Dialog
from mtchat.db.types import UTCDateTime
from tests.conftest import PG_ADMIN_URL, RunningServer
from tests.conftest import test_db_kind as db_kind

# Deliberately outside the models: PostgreSQL-only full-text column and its index (migration 0002).
UNMAPPED = {"search_tsv", "ix_messages_search_tsv", "alembic_version"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return name not in UNMAPPED


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"include_object": _include, "compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


async def test_models_match_migrations(server: RunningServer) -> None:
    engine = make_engine(server.settings.sqlalchemy_url)
    try:
        await upgrade_to_head(engine)  # already there: the server migrated on start; this is a no-op
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            # The available list depends on it (docs/decisions/002).
            if engine.dialect.name == "postgresql":
                found = text("SELECT count(*) FROM pg_trigger WHERE tgname = 'trg_dialogs_scope_activity'")
            else:
                found = text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n")
            assert await conn.scalar(found, {"n": "trg_dialogs_scope_activity"}) == 1
    finally:
        await engine.dispose()


async def test_upgrade_from_0001_keeps_data_and_fills_the_copies(tmp_path: Path) -> None:
    """An installation created by 0001 with dialogs in it upgrades in place (PostgreSQL and SQLite)."""
    if db_kind() == "postgres":
        name = f"mtchat_upgrade_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
            when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
            dialog, scope = uuid.uuid4(), uuid.uuid4()
            # Raw SQL: the 0001 tables, not today's models (which know columns 0001 lacks).
            await conn.execute(
                text(
                    "INSERT INTO dialogs (id, object_type, object_id, meta, created_at, updated_at, activity_at,"
                    " last_seq, participants_count) VALUES (:id, 'tender', 't-1', '{}', :t, :t, :t, 0, 0)"
                ).bindparams(bindparam("id", type_=Uuid()), bindparam("t", type_=UTCDateTime())),
                {"id": dialog, "t": when},
            )
            await conn.execute(
                text(
                    "INSERT INTO access_scopes (id, dialog_id, tenant_uid, scope_level1, scope_level2, level1_any,"
                    " level2_any) VALUES (:id, :d, 'acme', '[]', '[]', true, true)"
                ).bindparams(bindparam("id", type_=Uuid()), bindparam("d", type_=Uuid())),
                {"id": scope, "d": dialog},
            )
        await upgrade_to_head(engine)
        async with engine.connect() as conn:
            copied = (await conn.execute(select(AccessScope.activity_at).where(AccessScope.id == scope))).scalar_one()
            assert copied == when
            # From now on the trigger keeps the copy.
            later = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
            await conn.execute(update(Dialog).where(Dialog.id == dialog).values(activity_at=later))
            copied = (await conn.execute(select(AccessScope.activity_at).where(AccessScope.id == scope))).scalar_one()
            assert copied == later
            await conn.commit()
    finally:
        await engine.dispose()
        if db_kind() == "postgres":
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
