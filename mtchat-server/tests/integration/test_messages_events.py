"""Message side effects: WebSocket events to participants and webhook outbox payloads (SPEC §5.4, §5.5)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import delete, select

from mtchat.db.engine import make_engine
from mtchat.db.models import WebhookDelivery
from tests.conftest import RunningServer, auth, create_dialog, uid, user_token
from tests.integration.ws_helpers import assert_silent, next_event, open_ws


def H(user_id: str) -> dict[str, str]:
    return auth(user_token(user_id))


async def test_ws_events_reach_participants_only(http: httpx.AsyncClient, server: RunningServer) -> None:
    a, b, outsider = uid(), uid(), uid()
    d = (await create_dialog(http, participants=[a, b]))["id"]
    ws_b = await open_ws(server.url, user_token(b))
    ws_out = await open_ws(server.url, user_token(outsider))
    try:
        r = await http.post(f"/api/v1/dialogs/{d}/messages", json={"content": "hi"}, headers=H(a))
        m = r.json()["data"]
        ev = await next_event(ws_b, "message.new", dialog_id=d)
        assert ev["message"] == m
        r = await http.put(f"/api/v1/dialogs/{d}/messages/{m['id']}", json={"content": "hey"}, headers=H(a))
        ev = await next_event(ws_b, "message.edited", dialog_id=d)
        assert ev["message"]["content"] == "<p>hey</p>" and ev["message"]["last_edited_at"]
        r = await http.post(f"/api/v1/dialogs/{d}/read", json={"last_read_message_id": m["id"]}, headers=H(b))
        ev = await next_event(ws_b, "message.read", dialog_id=d)
        assert ev["user_id"] == b and ev["last_read_message_id"] == m["id"]
        await http.delete(f"/api/v1/dialogs/{d}/messages/{m['id']}", headers=H(a))
        ev = await next_event(ws_b, "message.deleted", dialog_id=d)
        assert ev["message_id"] == m["id"]
        await assert_silent(ws_out, "message.new", "message.edited", "message.read", "message.deleted")
    finally:
        await ws_b.close()
        await ws_out.close()


async def _take_outbox(server: RunningServer, dialog_id: str) -> list[tuple[str, dict[str, Any]]]:
    """This dialog's outbox rows, removed afterwards so no other test's receiver ever gets them."""
    engine = make_engine(server.settings.sqlalchemy_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(
                select(WebhookDelivery.id, WebhookDelivery.event, WebhookDelivery.payload).order_by(
                    WebhookDelivery.created_at, WebhookDelivery.id
                )
            )
            mine = [(id_, event, payload) for id_, event, payload in rows if payload.get("dialog_id") == dialog_id]
            await conn.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_([m[0] for m in mine])))
            return [(event, payload) for _id, event, payload in mine]
    finally:
        await engine.dispose()


async def test_webhook_payloads(server_factory: Any) -> None:
    # Nothing listens on port 9: deliveries stay in the outbox, which is what we inspect.
    running = server_factory(webhook_url="http://127.0.0.1:9/hook", webhook_secret="s" * 32)
    a, b, muted = uid(), uid(), uid()
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
        d = await create_dialog(http, participants=[{"user_id": a, "display_name": "Ann"}, b, muted])
        r = await http.post(f"/api/v1/dialogs/{d['id']}/notifications", json={"enabled": False}, headers=H(muted))
        assert r.status_code == 200, r.text
        content = f'hello <span data-mention="{b}">@b</span>'
        m = (await http.post(f"/api/v1/dialogs/{d['id']}/messages", json={"content": content}, headers=H(a))).json()[
            "data"
        ]
        await http.put(f"/api/v1/dialogs/{d['id']}/messages/{m['id']}", json={"content": "edited"}, headers=H(a))
        await http.delete(f"/api/v1/dialogs/{d['id']}/messages/{m['id']}", headers=H(a))
        events = [e for e in await _take_outbox(running, d["id"]) if e[0].startswith(("message.", "mention"))]
    assert [e for e, _ in events] == ["message.new", "mention", "message.edited", "message.deleted"]
    new = events[0][1]
    assert new["object_id"] == d["object_id"] and new["object_type"] == d["object_type"] and new["title"] == d["title"]
    assert new["participants"] == [b]  # not the sender, not the muted participant
    msg = new["message"]
    assert msg["id"] == m["id"] and msg["sender_id"] == a and msg["sender_name"] == "Ann"
    assert msg["text"] == "hello @b" and msg["mentions"] == [b] and msg["attachments"] == []
    assert set(msg) >= {"content", "reply_to_id", "sent_at"}
    assert events[1][1]["user_id"] == b and events[1][1]["message"]["id"] == m["id"]
    assert events[2][1]["message"]["text"] == "edited"
    assert events[3][1]["message_id"] == m["id"]
