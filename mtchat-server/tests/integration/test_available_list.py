"""The "Доступные" / available list (SPEC §5.3): what a potential participant sees, in which order.

The list is read from the tenant's access scopes ordered by a copy of the dialog's activity time
(migration 0002); these tests pin what that copy must keep true: newest activity first after new
messages and scope replacement, one row per dialog however many of its scopes match, stable paging.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import admin_token, auth, create_dialog, uid, user_token


async def _available(http: httpx.AsyncClient, token: str, **params: Any) -> dict[str, Any]:
    r = await http.get("/api/v1/dialogs", params={"type": "available", **params}, headers=auth(token))
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


async def _send(http: httpx.AsyncClient, dialog_id: str, user: str, text: str) -> None:
    r = await http.post(
        f"/api/v1/dialogs/{dialog_id}/messages", json={"content": text}, headers=auth(user_token(user))
    )
    assert r.status_code == 201, r.text


async def test_newest_activity_first_and_a_new_message_moves_a_dialog_up(http: httpx.AsyncClient) -> None:
    tenant, owner = uid("t"), uid("owner")
    viewer = user_token(uid("viewer"), tenant=tenant, level1=["logistics"])
    scope = [{"tenant_uid": tenant, "scope_level1": ["logistics"]}]
    d1, d2, d3 = [
        await create_dialog(http, participants=[owner], scopes=scope, title=f"D{i}") for i in (1, 2, 3)
    ]
    assert [d["id"] for d in (await _available(http, viewer))["data"]] == [d3["id"], d2["id"], d1["id"]]

    await _send(http, d1["id"], owner, "news")
    data = (await _available(http, viewer))["data"]
    assert [d["id"] for d in data] == [d1["id"], d3["id"], d2["id"]]
    item = data[0]
    assert item["can_join"] and not item["i_am_participant"]
    assert item["last_message"] is None and item["unread_count"] == 0  # potential participants see no content
    assert item["last_message_at"] is not None


async def test_replaced_scopes_keep_the_dialog_in_its_place(http: httpx.AsyncClient) -> None:
    tenant, owner = uid("t"), uid("owner")
    viewer = user_token(uid("viewer"), tenant=tenant, level1=["a", "b"])
    old, new = [{"tenant_uid": tenant, "scope_level1": ["a"]}], [{"tenant_uid": tenant, "scope_level1": ["b"]}]
    d1 = await create_dialog(http, participants=[owner], scopes=old)
    d2 = await create_dialog(http, participants=[owner], scopes=old)
    await _send(http, d1["id"], owner, "d1 is the latest")
    r = await http.put(f"/api/v1/management/dialogs/{d1['id']}/access-scopes",
                       json={"access_scopes": new}, headers=auth(admin_token()))
    assert r.status_code == 200, r.text
    assert [d["id"] for d in (await _available(http, viewer))["data"]] == [d1["id"], d2["id"]]
    await _send(http, d2["id"], owner, "now d2")
    assert [d["id"] for d in (await _available(http, viewer))["data"]] == [d2["id"], d1["id"]]


async def test_a_dialog_matched_by_several_scopes_is_listed_once(http: httpx.AsyncClient) -> None:
    tenant, owner = uid("t"), uid("owner")
    viewer = user_token(uid("viewer"), tenant=tenant, level1=["x"], level2=["y"])
    scopes = [
        {"tenant_uid": tenant, "scope_level1": ["x"]},
        {"tenant_uid": tenant, "scope_level2": ["y"]},
        {"tenant_uid": tenant},
        {"tenant_uid": uid("other-tenant")},
    ]
    d = await create_dialog(http, participants=[owner], scopes=scopes)
    page = await _available(http, viewer)
    assert [x["id"] for x in page["data"]] == [d["id"]] and page["next_cursor"] is None


async def test_paging_walks_every_dialog_once_and_joining_removes_it(http: httpx.AsyncClient) -> None:
    tenant, owner, me = uid("t"), uid("owner"), uid("me")
    token = user_token(me, tenant=tenant, level2=["north"])
    scopes = [{"tenant_uid": tenant, "scope_level2": ["north", "south"]}, {"tenant_uid": tenant}]
    created = [(await create_dialog(http, participants=[owner], scopes=scopes))["id"] for _ in range(7)]
    # Not visible: another tenant, another level-2 value, and one I'm already in.
    await create_dialog(http, participants=[owner], scopes=[{"tenant_uid": uid("t")}])
    await create_dialog(http, participants=[owner], scopes=[{"tenant_uid": tenant, "scope_level2": ["south"]}])
    mine = await create_dialog(http, participants=[owner, me], scopes=scopes)

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await _available(http, token, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [d["id"] for d in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created[::-1]
    assert mine["id"] not in seen

    r = await http.post(f"/api/v1/dialogs/{created[3]}/join", json={}, headers=auth(token))
    assert r.status_code == 200, r.text
    ids = [d["id"] for d in (await _available(http, token, limit=50))["data"]]
    assert created[3] not in ids and len(ids) == 6


async def test_joining_is_not_an_unread_message_for_the_one_who_joined(http: httpx.AsyncClient) -> None:
    tenant, owner, me = uid("t"), uid("owner"), uid("me")
    token = user_token(me, tenant=tenant)
    d = await create_dialog(http, participants=[owner], scopes=[{"tenant_uid": tenant}])
    await _send(http, d["id"], owner, "before you came")
    r = await http.post(f"/api/v1/dialogs/{d['id']}/join", json={"display_name": "Me"}, headers=auth(token))
    assert r.status_code == 200, r.text
    history = (await http.get(f"/api/v1/dialogs/{d['id']}/messages", headers=auth(token))).json()["data"]
    joined = history["messages"][-1]
    assert json.loads(joined["content"]) == {"event": "joined", "user_id": me, "display_name": "Me"}
    assert history["first_unread_message_id"] is None
    assert (await http.get("/api/v1/unread", headers=auth(token))).json()["data"]["total"] == 0
    # ... but it is news for the others.
    owner_unread = (await http.get("/api/v1/unread", headers=auth(user_token(owner)))).json()["data"]
    assert owner_unread["dialogs"].get(d["id"]) == 1
