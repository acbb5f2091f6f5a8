"""The delivery worker against a real HTTP receiver on 127.0.0.1: signed, retried, recorded."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from mtchat.db.engine import make_engine
from mtchat.db.models import WebhookDelivery
from mtchat.db.types import utcnow
from mtchat.settings import normalize_database_url
from mtchat.webhooks import verify
from tests.conftest import admin_token, auth, free_port

SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY3OA=="


class Receiver:
    """A webhook endpoint that fails the first ``fail_first`` requests of each event id."""

    def __init__(self, fail_first: int = 0, port: int | None = None) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = json.loads(body)["id"]
                with receiver.lock:
                    n = receiver.seen.get(event_id, 0) + 1
                    receiver.seen[event_id] = n
                    ok = n > receiver.fail_first
                    if ok:
                        receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(200 if ok else 503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.port = port or free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(fail_first=2) as r:
        yield r


async def enqueue(database_url: str, events: list[tuple[str, dict[str, Any]]]) -> list[uuid.UUID]:
    engine = make_engine(normalize_database_url(database_url, __import__("pathlib").Path(".")))
    ids = [uuid.uuid4() for _ in events]
    now = utcnow()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(WebhookDelivery),
                [
                    {
                        "id": i,
                        "event": e,
                        "payload": d,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for i, (e, d) in zip(ids, events, strict=True)
                ],
            )
    finally:
        await engine.dispose()
    return ids


async def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_retried_until_delivered_with_valid_signatures(
    server_factory: Any, database_url: str, receiver: Receiver
) -> None:
    running = server_factory(webhook_url=receiver.url, webhook_secret=SECRET, webhook_poll_seconds=0.1)
    ids = await enqueue(database_url, [("message.new", {"n": i, "participants": ["u2"]}) for i in range(5)])
    await wait_for(lambda: {json.loads(b)["id"] for _, b in receiver.requests} >= {str(i) for i in ids})
    got = {}
    for headers, body in receiver.requests:
        verify(body, headers, SECRET)
        envelope = json.loads(body)
        assert envelope["event"] == "message.new"
        assert headers["X-Webhook-Event"] == "message.new"
        got[envelope["id"]] = envelope
    assert set(got) == {str(i) for i in ids}
    # two 503s, then success (at least once: a slow answer may be retried once more)
    assert all(receiver.seen[str(i)] >= 3 for i in ids)

    async with httpx.AsyncClient(base_url=running.url) as http:
        admin = auth(admin_token())

        async def delivered() -> list[dict[str, Any]]:
            resp = await http.get("/api/v1/management/webhooks/deliveries?status=delivered&limit=500", headers=admin)
            assert resp.status_code == 200
            return [d for d in resp.json()["data"] if d["id"] in got]

        deadline = time.monotonic() + 10
        rows = await delivered()
        while len(rows) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            rows = await delivered()
        assert len(rows) == 5
        assert all(r["attempts"] >= 3 and r["last_error"] is None for r in rows)

        redo = await http.post(f"/api/v1/management/webhooks/deliveries/{ids[0]}/redeliver", headers=admin)
        assert redo.status_code == 200
        assert redo.json()["data"]["status"] == "pending"
        await wait_for(lambda: receiver.seen[str(ids[0])] >= 4)

        missing = await http.post(f"/api/v1/management/webhooks/deliveries/{uuid.uuid4()}/redeliver", headers=admin)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "DELIVERY_NOT_FOUND"
        user = await http.get("/api/v1/management/webhooks/deliveries", headers=auth("not-a-token"))
        assert user.status_code == 401


async def test_gives_up_after_horizon(server_factory: Any, database_url: str) -> None:
    with Receiver(fail_first=10_000) as always_down:
        running = server_factory(
            webhook_url=always_down.url, webhook_secret=SECRET, webhook_poll_seconds=0.1, webhook_max_age_seconds=0
        )
        [event_id] = await enqueue(database_url, [("message.new", {"n": 1})])
        async with httpx.AsyncClient(base_url=running.url) as http:
            deadline = time.monotonic() + 15
            while True:
                resp = await http.get(
                    "/api/v1/management/webhooks/deliveries?status=failed", headers=auth(admin_token())
                )
                if any(d["id"] == str(event_id) for d in resp.json()["data"]):
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
        row = next(d for d in resp.json()["data"] if d["id"] == str(event_id))
        assert row["last_error"] == "HTTP 503"
        assert row["attempts"] == 1
