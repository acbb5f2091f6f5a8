"""WebSocket (SPEC §5.4) against a real server: auth, protocol, targeted fan-out, presence."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import RunningServer, admin_token, auth, create_dialog, uid, user_token
from tests.integration.ws_helpers import assert_silent, next_event, open_ws, ws_url


async def send(http: httpx.AsyncClient, dialog_id: str, user: str, content: str = "hello") -> dict[str, Any]:
    resp = await http.post(
        f"/api/v1/dialogs/{dialog_id}/messages", json={"content": content}, headers=auth(user_token(user))
    )
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def expect_refused(url: str) -> None:
    try:
        ws = await connect(url, open_timeout=10)
    except InvalidStatus as exc:
        assert exc.response.status_code in (401, 403)
        return
    try:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert info.value.rcvd is not None and info.value.rcvd.code in (4401, 1008)
    finally:
        await ws.close()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        user_token("alice", secret="wrong-secret-0123456789abcdef0123456789"),
        user_token("alice", exp_in=-3600),
        admin_token(),
    ],
    ids=["missing", "garbage", "bad-signature", "expired", "admin-token"],
)
async def test_bad_tokens_are_refused(server: RunningServer, token: str) -> None:
    url = server.url.replace("http://", "ws://") + "/api/v1/ws" + (f"?token={token}" if token else "")
    await expect_refused(url)


async def test_connected_first_then_ping_pong_and_errors(server: RunningServer) -> None:
    user = uid()
    async with connect(ws_url(server.url, user_token(user)), open_timeout=10) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert first == {"type": "connected", "user_id": user}
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_event(ws, "pong") == {"type": "pong"}
        for bad in ("not json", json.dumps([1]), json.dumps({"type": "nope"}), json.dumps({"type": "typing"})):
            await ws.send(bad)
            error = await next_event(ws, "error")
            assert isinstance(error["message"], str) and error["message"]
        # Still alive after malformed frames.
        await ws.send(json.dumps({"type": "ping"}))
        await next_event(ws, "pong")


async def test_targeted_fan_out(server: RunningServer, http: httpx.AsyncClient) -> None:
    tenant = uid("t")
    alice, bob, outsider, potential = uid("alice"), uid("bob"), uid("out"), uid("pot")
    dialog = await create_dialog(
        http, participants=[alice, bob], scopes=[{"tenant_uid": tenant, "scope_level1": ["sales"]}]
    )
    ws_bob = await open_ws(server.url, user_token(bob))
    ws_out = await open_ws(server.url, user_token(outsider, tenant=uid("other")))
    ws_pot = await open_ws(server.url, user_token(potential, tenant=tenant, level1=["sales"]))
    try:
        # The potential participant can see the dialog but is not in it.
        pot_headers = auth(user_token(potential, tenant=tenant, level1=["sales"]))
        resp = await http.get(f"/api/v1/dialogs/{dialog['id']}", headers=pot_headers)
        assert resp.status_code == 200, resp.text
        message = await send(http, dialog["id"], alice, "<p>for bob</p>")
        event = await next_event(ws_bob, "message.new")
        assert event["dialog_id"] == dialog["id"]
        assert event["message"]["id"] == message["id"]
        await assert_silent(ws_out, "message.new")
        await assert_silent(ws_pot, "message.new")
    finally:
        for ws in (ws_bob, ws_out, ws_pot):
            await ws.close()


async def test_every_socket_of_a_user_receives(server: RunningServer, http: httpx.AsyncClient) -> None:
    alice, bob = uid("alice"), uid("bob")
    dialog = await create_dialog(http, participants=[alice, bob])
    tabs = [await open_ws(server.url, user_token(bob)) for _ in range(3)]
    try:
        message = await send(http, dialog["id"], alice)
        for ws in tabs:
            event = await next_event(ws, "message.new")
            assert event["message"]["id"] == message["id"]
    finally:
        for ws in tabs:
            await ws.close()


async def test_removed_participant_stops_receiving(server: RunningServer, http: httpx.AsyncClient) -> None:
    alice, bob = uid("alice"), uid("bob")
    dialog = await create_dialog(http, participants=[alice, bob])
    ws = await open_ws(server.url, user_token(bob))
    try:
        await send(http, dialog["id"], alice, "before")
        await next_event(ws, "message.new")
        resp = await http.delete(
            f"/api/v1/management/dialogs/{dialog['id']}/participants/{bob}", headers=auth(admin_token())
        )
        assert resp.status_code == 204, resp.text
        await send(http, dialog["id"], alice, "after")
        await assert_silent(ws, "message.new")
    finally:
        await ws.close()


async def test_presence_and_typing_reach_co_participants_only(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    alice, bob, stranger = uid("alice"), uid("bob"), uid("stranger")
    dialog = await create_dialog(http, participants=[alice, bob])
    ws_alice = await open_ws(server.url, user_token(alice))
    ws_stranger = await open_ws(server.url, user_token(stranger))
    try:
        ws_bob = await open_ws(server.url, user_token(bob))
        assert (await next_event(ws_alice, "presence.update", user_id=bob))["is_online"] is True
        # A second tab does not flip presence; closing one of two keeps bob online.
        ws_bob2 = await open_ws(server.url, user_token(bob))
        await ws_bob2.close()
        await assert_silent(ws_alice, "presence.update", wait=0.5)

        await ws_bob.send(json.dumps({"type": "typing", "dialog_id": dialog["id"]}))
        typing = await next_event(ws_alice, "typing")
        assert typing == {"type": "typing", "dialog_id": dialog["id"], "user_id": bob}
        # Rate limited: an immediate second typing frame is dropped.
        await ws_bob.send(json.dumps({"type": "typing", "dialog_id": dialog["id"]}))
        await assert_silent(ws_alice, "typing", wait=0.4)
        # Typing into a dialog one is not in is an error, not a broadcast.
        await ws_stranger.send(json.dumps({"type": "typing", "dialog_id": dialog["id"]}))
        await next_event(ws_stranger, "error")

        await ws_bob.close()
        assert (await next_event(ws_alice, "presence.update", user_id=bob))["is_online"] is False
        await assert_silent(ws_stranger, "presence.update", "typing")
    finally:
        await ws_alice.close()
        await ws_stranger.close()


class _StuckSocket:
    """A peer that never reads: every send blocks forever."""

    def __init__(self) -> None:
        self.closed_with: tuple[int, str] | None = None
        self.sent: list[str] = []
        self.stuck = True

    async def send_text(self, text: str) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.sent.append(text)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = (code, reason or "")


async def test_slow_consumer_is_closed_without_blocking_others() -> None:
    from mtchat.realtime.memory import MemoryHub
    from mtchat.realtime.ws import WsConnection

    hub = MemoryHub()
    slow_sock, fast_sock = _StuckSocket(), _StuckSocket()
    fast_sock.stuck = False
    slow = WsConnection(slow_sock, "bob", queue_size=2)  # type: ignore[arg-type]
    fast = WsConnection(fast_sock, "bob", queue_size=2)  # type: ignore[arg-type]
    for conn in (slow, fast):
        conn.start()
        await hub.connect(conn)
    for i in range(6):
        await hub.publish(["bob"], {"type": "message.new", "n": i})
        await asyncio.sleep(0.01)  # the fast socket's sender drains between events
    await asyncio.sleep(0.05)
    assert slow_sock.closed_with is not None
    assert slow_sock.closed_with[0] == 1013 and "slow" in slow_sock.closed_with[1]
    assert [json.loads(t)["n"] for t in fast_sock.sent] == list(range(6))
    assert fast_sock.closed_with is None
    await slow.stop()
    await fast.stop()
