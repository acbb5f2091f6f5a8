"""Scale-out over Redis: two app servers share fan-out and presence; Redis restarts are survived."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import auth, create_dialog, free_port, uid, user_token
from tests.integration.ws_helpers import next_event, open_ws

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(REDIS_URL), reason="needs Redis on 127.0.0.1:6379")


async def send(http: httpx.AsyncClient, dialog_id: str, user: str, content: str) -> dict[str, Any]:
    resp = await http.post(
        f"/api/v1/dialogs/{dialog_id}/messages", json={"content": content}, headers=auth(user_token(user))
    )
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def test_send_on_a_is_delivered_on_b(server_factory: Any) -> None:
    a = server_factory(redis_url=REDIS_URL)
    b = server_factory(redis_url=REDIS_URL)
    alice, bob, outsider = uid("alice"), uid("bob"), uid("out")
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http_a, httpx.AsyncClient(
        base_url=b.url, timeout=30
    ) as http_b:
        ready = await http_b.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "ok"
        dialog = await create_dialog(http_a, participants=[alice, bob])
        ws_alice = await open_ws(a.url, user_token(alice))
        ws_bob = await open_ws(b.url, user_token(bob))
        ws_out = await open_ws(b.url, user_token(outsider))
        try:
            # Presence crosses processes: alice (on A) sees bob (on B) come online.
            assert (await next_event(ws_alice, "presence.update", user_id=bob))["is_online"] is True
            # Participant lists on A see bob's socket on B.
            parts = await http_a.get(f"/api/v1/dialogs/{dialog['id']}/participants", headers=auth(user_token(alice)))
            assert parts.status_code == 200, parts.text
            online = {p["user_id"]: p["is_online"] for p in parts.json()["data"]}
            assert online[bob] is True

            message = await send(http_a, dialog["id"], alice, "across processes")
            event = await next_event(ws_bob, "message.new")
            assert event["message"]["id"] == message["id"]
            with pytest.raises(AssertionError):
                await next_event(ws_out, "message.new", timeout=0.7)
        finally:
            for ws in (ws_alice, ws_bob, ws_out):
                await ws.close()


@pytest.fixture
def own_redis() -> Iterator[Any]:
    """A private redis-server we may stop and start again (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not available")
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        deadline = time.monotonic() + 10
        while not _redis_up(f"redis://127.0.0.1:{port}/0"):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop() -> None:
        proc = procs[-1]
        proc.terminate()
        proc.wait(timeout=10)

    class Handle:
        url = f"redis://127.0.0.1:{port}/0"

    handle = Handle()
    handle.start = start  # type: ignore[attr-defined]
    handle.stop = stop  # type: ignore[attr-defined]
    start()
    yield handle
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


async def test_delivery_resumes_after_redis_restart(server_factory: Any, own_redis: Any) -> None:
    a = server_factory(redis_url=own_redis.url)
    b = server_factory(redis_url=own_redis.url)
    alice, bob = uid("alice"), uid("bob")
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http_a, httpx.AsyncClient(
        base_url=b.url, timeout=30
    ) as http_b:
        dialog = await create_dialog(http_a, participants=[alice, bob])
        ws_bob = await open_ws(b.url, user_token(bob))
        try:
            first = await send(http_a, dialog["id"], alice, "before restart")
            assert (await next_event(ws_bob, "message.new"))["message"]["id"] == first["id"]

            own_redis.stop()
            down = await http_b.get("/health/ready")
            assert down.status_code == 503 and down.json()["checks"]["redis"] != "ok"
            # Sending still works while Redis is down (the write is committed, fan-out degrades).
            await send(http_a, dialog["id"], alice, "during outage")
            own_redis.start()

            # Delivery resumes by itself once both processes have re-subscribed.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while True:
                assert loop.time() < deadline, "delivery did not resume after the Redis restart"
                probe = await send(http_a, dialog["id"], alice, "after restart")
                try:
                    event = await next_event(ws_bob, "message.new", timeout=1.0)
                except AssertionError:
                    continue
                if event["message"]["id"] == probe["id"]:
                    break
            assert (await http_b.get("/health/ready")).status_code == 200
        finally:
            await ws_bob.close()
