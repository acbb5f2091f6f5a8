"""The migrations build exactly the schema the models describe, on the database under test.

Alembic's autogenerate comparison between ``mtchat.db.models`` and a database migrated to head: a
column, index or constraint added to one but not the other fails here instead of in production.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from mtchat.db.engine import make_engine
from mtchat.db.migrate import upgrade_to_head
from mtchat.db.models import Base
from tests.conftest import RunningServer

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
