"""Chat API, dialog side (SPEC §5.3)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import admin_token, auth, create_dialog, uid, user_token

ADMIN = auth(admin_token())


async def _ids(http: httpx.AsyncClient, token: str, **params: Any) -> list[str]:
    r = await http.get("/api/v1/dialogs", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["data"]]


async def test_participating_order_pin_archive_and_item_shape(http: httpx.AsyncClient) -> None:
    me = uid()
    tok = user_token(me)
    d1 = await create_dialog(http, participants=[me])
    d2 = await create_dialog(http, participants=[me])
    d3 = await create_dialog(http, participants=[me])
    assert await _ids(http, tok) == [d3["id"], d2["id"], d1["id"]]
    await http.post(f"/api/v1/management/dialogs/{d1['id']}/messages", json={"content": "x"}, headers=ADMIN)
    assert await _ids(http, tok) == [d1["id"], d3["id"], d2["id"]]
    assert (await http.post(f"/api/v1/dialogs/{d2['id']}/pin", headers=auth(tok))).status_code == 200
    assert await _ids(http, tok) == [d2["id"], d1["id"], d3["id"]]
    assert (await http.post(f"/api/v1/dialogs/{d3['id']}/archive", headers=auth(tok))).status_code == 200
    assert await _ids(http, tok) == [d2["id"], d1["id"]]
    assert await _ids(http, tok, archived="true") == [d3["id"]]
    await http.post(f"/api/v1/dialogs/{d3['id']}/unarchive", headers=auth(tok))
    await http.post(f"/api/v1/dialogs/{d2['id']}/unpin", headers=auth(tok))
    assert await _ids(http, tok) == [d1["id"], d3["id"], d2["id"]]
    r = await http.post(f"/api/v1/dialogs/{d1['id']}/notifications", json={"enabled": False}, headers=auth(tok))
    assert r.status_code == 200
    item = (await http.get(f"/api/v1/dialogs/{d1['id']}", headers=auth(tok))).json()["data"]
    expected = {
        "id", "object_id", "object_type", "title", "object_url", "created_at", "last_message_at",
        "participants_count", "participants", "i_am_participant", "can_join", "unread_count", "is_archived",
        "is_pinned", "notifications_enabled", "last_message",
    }
    assert expected <= set(item)
    assert item["notifications_enabled"] is False and item["i_am_participant"] is True
    assert item["unread_count"] == 1 and item["last_message"]["message_type"] == "system"


async def test_pagination_cursor(http: httpx.AsyncClient) -> None:
    me = uid()
    tok = user_token(me)
    made = [(await create_dialog(http, participants=[me]))["id"] for _ in range(5)]
    await http.post(f"/api/v1/dialogs/{made[0]}/pin", headers=auth(tok))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (await http.get("/api/v1/dialogs", params=params, headers=auth(tok))).json()
        seen += [i["id"] for i in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [made[0], *reversed(made[1:])]
    r = await http.get("/api/v1/dialogs", params={"cursor": "garbage"}, headers=auth(tok))
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT"
    r = await http.get("/api/v1/dialogs", params={"type": "nope"}, headers=auth(tok))
    assert r.status_code == 400 and "type" in r.json()["error"]["message"]


async def test_search_title_and_company(http: httpx.AsyncClient) -> None:
    me = uid()
    tag = uid("Zq")
    d1 = await create_dialog(http, participants=[me], title=f"Steel {tag} pipes")
    d2 = await create_dialog(http, participants=[me, {"user_id": uid(), "company": f"{tag} LLC"}])
    await create_dialog(http, participants=[me], title="unrelated")
    found = await _ids(http, user_token(me), search=tag.lower())
    assert set(found) == {d1["id"], d2["id"]}
    assert await _ids(http, user_token(me), search="%") == []


async def test_join_leave_and_participants_privacy(http: httpx.AsyncClient) -> None:
    t = uid("t")
    host = uid()
    d = await create_dialog(
        http,
        participants=[{"user_id": host, "email": "h@x.io", "phone": "+1"}],
        scopes=[{"tenant_uid": t, "scope_level1": ["dep"]}],
    )
    me = uid()
    tok = user_token(me, tenant=t, level1=["dep"], name="Me", company="MyCo", email="me@x.io")
    # potential participant: visible, no private fields, member-only routes 403
    parts = (await http.get(f"/api/v1/dialogs/{d['id']}/participants", headers=auth(tok))).json()["data"]
    assert parts[0]["user_id"] == host and "email" not in parts[0] and parts[0]["is_online"] is False
    item = (await http.get(f"/api/v1/dialogs/{d['id']}", headers=auth(tok))).json()["data"]
    assert item["can_join"] is True and item["last_message"] is None
    r = await http.post(f"/api/v1/dialogs/{d['id']}/pin", headers=auth(tok))
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_PARTICIPANT"
    assert (await http.post(f"/api/v1/dialogs/{d['id']}/leave", headers=auth(tok))).status_code == 403
    r = await http.post(f"/api/v1/dialogs/{d['id']}/join", headers=auth(tok))
    assert r.status_code == 200 and r.json()["data"] == {"status": "joined", "dialog_id": d["id"]}
    r = await http.post(f"/api/v1/dialogs/{d['id']}/join", headers=auth(tok))
    assert r.status_code == 200
    parts = (await http.get(f"/api/v1/dialogs/{d['id']}/participants", headers=auth(tok))).json()["data"]
    mine = next(p for p in parts if p["user_id"] == me)
    assert mine["display_name"] == "Me" and mine["company"] == "MyCo" and mine["email"] == "me@x.io"
    assert mine["joined_as"] == "joined"
    assert next(p for p in parts if p["user_id"] == host)["email"] == "h@x.io"
    item = (await http.get(f"/api/v1/dialogs/{d['id']}", headers=auth(tok))).json()["data"]
    assert item["participants_count"] == 2
    assert json.loads(item["last_message"]["content"]) == {"event": "joined", "user_id": me, "display_name": "Me"}
    r = await http.post(f"/api/v1/dialogs/{d['id']}/leave", headers=auth(tok))
    assert r.status_code == 200 and r.json()["data"] == {"status": "left", "dialog_id": d["id"]}
    host_view = (await http.get(f"/api/v1/dialogs/{d['id']}", headers=auth(user_token(host)))).json()["data"]
    assert host_view["participants_count"] == 1
    assert json.loads(host_view["last_message"]["content"])["event"] == "left"
    # after leaving: back to potential participant
    r = await http.post(f"/api/v1/dialogs/{d['id']}/archive", headers=auth(tok))
    assert r.status_code == 403


async def test_by_object(http: httpx.AsyncClient) -> None:
    me = uid()
    t = uid("t")
    obj = uid("obj")
    older = await create_dialog(http, object_id=obj, participants=[me])
    newer = await create_dialog(http, object_id=obj, scopes=[{"tenant_uid": t}])
    await create_dialog(http, object_id=obj)  # invisible to me
    tok = auth(user_token(me, tenant=t))
    r = await http.get(f"/api/v1/dialogs/by-object/tender/{obj}", headers=tok)
    assert r.status_code == 200 and r.json()["data"]["id"] == newer["id"]
    r = await http.get(f"/api/v1/dialogs/by-object/tender/{obj}/list", headers=tok)
    assert [i["id"] for i in r.json()["data"]] == [newer["id"], older["id"]]
    r = await http.get(f"/api/v1/dialogs/by-object/tender/{obj}", headers=auth(user_token(uid())))
    assert r.status_code == 404 and r.json()["error"]["code"] == "DIALOG_NOT_FOUND"
    r = await http.get(f"/api/v1/dialogs/by-object/tender/{obj}/list", headers=auth(user_token(uid())))
    assert r.json()["data"] == []


async def test_unread_empty(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v1/unread", headers=auth(user_token(uid())))
    assert r.json() == {"data": {"total": 0, "dialogs": {}}}
