"""Redis fan-out and presence between two app servers in this process (both databases).

The scale-out proper (two `mtchat serve` OS processes on PostgreSQL, Redis killed and restarted)
is in test_scaleout_processes.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import redis

from tests.conftest import auth, create_dialog, uid, user_token
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
