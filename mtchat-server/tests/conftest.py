"""Test harness: a real uvicorn server on 127.0.0.1 (real sockets), on the database chosen by
``MTCHAT_TEST_DB`` (``sqlite`` default, or ``postgres``: a fresh database per test run).

`make test` runs the whole suite once per database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn

from mtchat.app import create_app
from mtchat.settings import Settings

JWT_SECRET = "test-user-secret-0123456789abcdef0123456789"
ADMIN_SECRET = "test-admin-secret-0123456789abcdef0123456789"
ADMIN_STATIC = "test-static-admin-token"
PG_ADMIN_URL = os.environ.get("MTCHAT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def test_db_kind() -> str:
    return os.environ.get("MTCHAT_TEST_DB", "sqlite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if test_db_kind() != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mtchat.db'}"
        return
    import asyncpg

    name = f"mtchat_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = PG_ADMIN_URL

    async def ddl(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(ddl(f'CREATE DATABASE "{name}"'))
    base = admin_dsn.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(ddl(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "mtchat_data_dir": data_dir,
        "jwt_secret": JWT_SECRET,
        "admin_jwt_secret": ADMIN_SECRET,
        "admin_api_token": ADMIN_STATIC,
        "rate_limit_per_minute": 100_000,
        "archive_check_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningServer:
    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread
    app: Any = field(repr=False, default=None)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(settings: Settings) -> RunningServer:
    """Run the app under uvicorn in a thread with its own event loop, on a free loopback port."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return RunningServer(f"http://127.0.0.1:{port}", settings, server, thread, app)


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(make_settings(database_url, tmp_path_factory.mktemp("data")))
    yield running
    running.stop()


@pytest.fixture
def server_factory(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Start extra servers with other settings (same database); all stopped after the test."""
    started: list[RunningServer] = []

    def factory(**overrides: Any) -> RunningServer:
        running = start_server(make_settings(database_url, tmp_path, **overrides))
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


def user_token(
    user_id: str,
    *,
    tenant: str | None = None,
    level1: list[str] | None = None,
    level2: list[str] | None = None,
    secret: str = JWT_SECRET,
    exp_in: int = 3600,
    **claims: Any,
) -> str:
    payload: dict[str, Any] = {"sub": user_id, "exp": int(time.time()) + exp_in}
    if tenant is not None:
        payload["tenant_uid"] = tenant
    payload["scope_level1"] = level1 or []
    payload["scope_level2"] = level2 or []
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm="HS256")


def admin_token(exp_in: int = 3600) -> str:
    return jwt.encode(
        {"sub": "host", "kind": "admin", "exp": int(time.time()) + exp_in}, ADMIN_SECRET, algorithm="HS256"
    )


def uid(prefix: str = "u") -> str:
    """A unique id so tests sharing one database never see each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin() -> dict[str, str]:
    return auth(admin_token())


async def create_dialog(
    http: httpx.AsyncClient,
    *,
    participants: list[Any] | None = None,
    scopes: list[dict[str, Any]] | None = None,
    object_type: str = "tender",
    object_id: str | None = None,
    title: str = "Tender chat",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object_type": object_type,
        "object_id": object_id or uid("obj"),
        "title": title,
        "participants": participants or [],
    }
    if scopes is not None:
        body["access_scopes"] = scopes
    resp = await http.post("/api/v1/management/dialogs", json=body, headers=auth(admin_token()))
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data
