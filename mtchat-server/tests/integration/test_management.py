"""Management API (SPEC §5.2) over real HTTP."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.conftest import admin_token, auth, create_dialog, uid, user_token

ADMIN = auth(admin_token())


async def test_create_with_ids_and_profiles(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(
        http,
        participants=[a, {"user_id": b, "display_name": "Bob", "company": "Acme", "email": "b@x.io"}],
        scopes=[{"tenant_uid": "t1", "scope_level1": ["d1", "d2"], "scope_level2": []}],
    )
    assert d["participants_count"] == 2
    assert {p["user_id"] for p in d["participants"]} == {a, b}
    assert d["access_scopes"] == [{"tenant_uid": "t1", "scope_level1": ["d1", "d2"], "scope_level2": []}]
    uuid.UUID(d["id"])


async def test_idempotency_key(http: httpx.AsyncClient) -> None:
    key = uid("idem")
    body = {"object_type": "tender", "object_id": uid("obj"), "participants": [uid()]}
    r1 = await http.post("/api/v1/management/dialogs", json=body, headers={**ADMIN, "Idempotency-Key": key})
    r2 = await http.post("/api/v1/management/dialogs", json=body, headers={**ADMIN, "Idempotency-Key": key})
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["data"]["id"] == r2.json()["data"]["id"]
    listed = await http.get(
        "/api/v1/management/dialogs", params={"object_type": "tender", "object_id": body["object_id"]}, headers=ADMIN
    )
    assert len(listed.json()["data"]) == 1


async def test_validation_names_field(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/api/v1/management/dialogs",
        json={"object_type": "t", "object_id": "x", "title": "a" * 501},
        headers=ADMIN,
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "INVALID_INPUT"
    assert "title" in r.json()["error"]["message"]
    r = await http.post("/api/v1/management/dialogs", json={"object_type": "t"}, headers=ADMIN)
    assert r.status_code == 400 and "object_id" in r.json()["error"]["message"]
    r = await http.get("/api/v1/management/dialogs/not-a-uuid", headers=ADMIN)
    assert r.status_code == 400


async def test_search_exact_scope_set(http: httpx.AsyncClient) -> None:
    obj = uid("obj")
    scopes = [{"tenant_uid": "t1", "scope_level1": ["a", "b"], "scope_level2": ["x"]}]
    d = await create_dialog(http, object_id=obj, scopes=scopes)
    found = await http.post(
        "/api/v1/management/dialogs/search",
        json={"object_type": "tender", "object_id": obj,
              "access_scopes": [{"tenant_uid": "t1", "scope_level1": ["b", "a"], "scope_level2": ["x"]}]},
        headers=ADMIN,
    )
    assert found.status_code == 200 and found.json()["data"]["id"] == d["id"]
    missing = await http.post(
        "/api/v1/management/dialogs/search",
        json={"object_type": "tender", "object_id": obj, "access_scopes": [{"tenant_uid": "t1"}]},
        headers=ADMIN,
    )
    assert missing.json() == {"data": None}


async def test_get_patch_delete(http: httpx.AsyncClient) -> None:
    d = await create_dialog(http, participants=[uid()])
    r = await http.patch(f"/api/v1/management/dialogs/{d['id']}", json={"title": "New", "meta": {"k": 1}},
                         headers=ADMIN)
    assert r.status_code == 200 and r.json()["data"]["title"] == "New" and r.json()["data"]["meta"] == {"k": 1}
    r = await http.get(f"/api/v1/management/dialogs/{d['id']}", headers=ADMIN)
    assert r.json()["data"]["title"] == "New" and len(r.json()["data"]["participants"]) == 1
    assert (await http.delete(f"/api/v1/management/dialogs/{d['id']}", headers=ADMIN)).status_code == 204
    r = await http.get(f"/api/v1/management/dialogs/{d['id']}", headers=ADMIN)
    assert r.status_code == 404 and r.json()["error"]["code"] == "DIALOG_NOT_FOUND"


async def test_participants_add_remove(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a])
    base = f"/api/v1/management/dialogs/{d['id']}/participants"
    r = await http.post(base, json={"user_id": b, "display_name": "B"}, headers=ADMIN)
    assert r.status_code == 201
    r = await http.post(base, json={"user_id": b}, headers=ADMIN)
    assert r.status_code == 200
    got = (await http.get(f"/api/v1/management/dialogs/{d['id']}", headers=ADMIN)).json()["data"]
    assert got["participants_count"] == 2
    # b sees it under participating, with the "added" system message as last message
    items = (await http.get("/api/v1/dialogs", headers=auth(user_token(b)))).json()["data"]
    mine = [i for i in items if i["id"] == d["id"]]
    assert mine and mine[0]["last_message"]["message_type"] == "system"
    assert json.loads(mine[0]["last_message"]["content"])["event"] == "added"
    assert (await http.delete(f"{base}/{b}", headers=ADMIN)).status_code == 204
    r = await http.delete(f"{base}/{b}", headers=ADMIN)
    assert r.status_code == 404 and r.json()["error"]["code"] == "PARTICIPANT_NOT_FOUND"
    got = (await http.get(f"/api/v1/management/dialogs/{d['id']}", headers=ADMIN)).json()["data"]
    assert got["participants_count"] == 1


async def test_replace_scopes(http: httpx.AsyncClient) -> None:
    t = uid("t")
    d = await create_dialog(http, scopes=[{"tenant_uid": t, "scope_level1": ["x"]}])
    outsider = auth(user_token(uid(), tenant=t, level1=["y"]))
    assert (await http.get(f"/api/v1/dialogs/{d['id']}", headers=outsider)).status_code == 404
    r = await http.put(f"/api/v1/management/dialogs/{d['id']}/access-scopes",
                       json={"access_scopes": [{"tenant_uid": t, "scope_level1": ["y"]}]}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["data"] == [{"tenant_uid": t, "scope_level1": ["y"], "scope_level2": []}]
    assert (await http.get(f"/api/v1/dialogs/{d['id']}", headers=outsider)).status_code == 200


async def test_system_and_on_behalf_messages(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[{"user_id": a, "display_name": "Alice"}, b])
    url = f"/api/v1/management/dialogs/{d['id']}/messages"
    r = await http.post(url, json={"content": "Tender <closed>"}, headers=ADMIN)
    assert r.status_code == 201
    m = r.json()["data"]
    assert m["message_type"] == "system" and m["sender_id"] is None and "&lt;closed&gt;" in m["content"]
    r = await http.post(url, json={"content": "hi", "sender_id": a}, headers=ADMIN)
    assert r.status_code == 201
    m = r.json()["data"]
    assert m["message_type"] == "user" and m["sender_id"] == a and m["sender_name"] == "Alice"
    r = await http.post(url, json={"content": "hi", "sender_id": uid()}, headers=ADMIN)
    assert r.status_code == 400 and "sender_id" in r.json()["error"]["message"]
    unread_a = (await http.get("/api/v1/unread", headers=auth(user_token(a)))).json()["data"]
    unread_b = (await http.get("/api/v1/unread", headers=auth(user_token(b)))).json()["data"]
    assert unread_a == {"total": 1, "dialogs": {d["id"]: 1}}
    assert unread_b == {"total": 2, "dialogs": {d["id"]: 2}}
