"""Auto-archive / auto-unarchive, and smart notifications through a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from tests.conftest import auth, create_dialog, uid, user_token
from tests.integration.test_webhook_delivery import SECRET, Receiver


async def _ids(http: httpx.AsyncClient, token: str, archived: bool) -> set[str]:
    resp = await http.get(
        "/api/v1/dialogs", params={"type": "participating", "archived": str(archived).lower()}, headers=auth(token)
    )
    assert resp.status_code == 200, resp.text
    return {d["id"] for d in resp.json()["data"]}


async def test_inactive_dialog_is_archived_and_a_new_message_unarchives(server_factory: Any) -> None:
    running = server_factory(archive_after_seconds=1, archive_check_seconds=0.2)
    u1, u2 = uid(), uid()
    t1, t2 = user_token(u1), user_token(u2)
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
        dialog = await create_dialog(http, participants=[u1, u2])
        did = dialog["id"]
        assert did in await _ids(http, t1, archived=False)
        deadline = time.monotonic() + 15
        while did not in await _ids(http, t1, archived=True):
            assert time.monotonic() < deadline, "dialog was not auto-archived"
            await asyncio.sleep(0.2)
        assert did not in await _ids(http, t1, archived=False)
        sent = await http.post(f"/api/v1/dialogs/{did}/messages", json={"content": "back"}, headers=auth(t2))
        assert sent.status_code == 201, sent.text
        assert did in await _ids(http, t1, archived=False)
        assert did not in await _ids(http, t1, archived=True)


async def test_notifications_unread_read_muted(server_factory: Any) -> None:
    with Receiver() as receiver:
        running = server_factory(
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            webhook_poll_seconds=0.1,
            notification_delay_seconds=1.5,
        )
        sender, unread, reader, muted = uid("s"), uid("unread"), uid("reader"), uid("muted")
        tokens = {u: user_token(u) for u in (sender, unread, reader, muted)}
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            dialog = await create_dialog(http, participants=[sender, unread, reader, muted])
            did = dialog["id"]
            off = await http.post(
                f"/api/v1/dialogs/{did}/notifications", json={"enabled": False}, headers=auth(tokens[muted])
            )
            assert off.status_code == 200, off.text
            first_id = None
            for i in range(3):  # one burst
                resp = await http.post(
                    f"/api/v1/dialogs/{did}/messages", json={"content": f"m{i}"}, headers=auth(tokens[sender])
                )
                assert resp.status_code == 201
                first_id = first_id or resp.json()["data"]["id"]
                last_id = resp.json()["data"]["id"]
            read = await http.post(
                f"/api/v1/dialogs/{did}/read", json={"last_read_message_id": last_id}, headers=auth(tokens[reader])
            )
            assert read.status_code == 200, read.text

            def events(name: str) -> list[dict[str, Any]]:
                out = []
                for _headers, body in list(receiver.requests):
                    env = json.loads(body)
                    if env["event"] == name and env["data"].get("dialog_id") == did:
                        out.append(env)
                return out

            deadline = time.monotonic() + 20
            while not events("notification.pending"):
                assert time.monotonic() < deadline, "no notification.pending arrived"
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # let any wrong extra notification arrive too
            pending = events("notification.pending")
            assert [e["data"]["recipient_id"] for e in pending] == [unread]
            assert pending[0]["data"]["message"]["id"] == first_id
            assert pending[0]["data"]["object_id"] == dialog["object_id"]
            new = events("message.new")
            assert len(new) == 3
            assert set(new[0]["data"]["participants"]) == {unread, reader}  # muted and sender excluded
