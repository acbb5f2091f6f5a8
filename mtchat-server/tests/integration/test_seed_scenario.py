"""The seed's scenario end to end (issue 2, "Shown by")."""

from __future__ import annotations

import httpx

from tests.conftest import admin_token, auth, uid, user_token


async def test_seed_scenario(http: httpx.AsyncClient) -> None:
    tenant = uid("tenant")
    buyer, supplier, colleague = uid("buyer"), uid("supplier"), uid("colleague")
    r = await http.post(
        "/api/v1/management/dialogs",
        json={
            "object_type": "tender",
            "object_id": "tender-uuid-123",
            "title": "Tender #123",
            "participants": [
                {"user_id": buyer, "display_name": "Buyer", "company": "Buyer Inc"},
                {"user_id": supplier, "display_name": "Supplier", "company": "Supply Co"},
            ],
            "access_scopes": [{"tenant_uid": tenant, "scope_level1": ["procurement"], "scope_level2": []}],
        },
        headers=auth(admin_token()),
    )
    assert r.status_code == 201, r.text
    dialog_id = r.json()["data"]["id"]

    participating = await http.get("/api/v1/dialogs", params={"type": "participating"},
                                   headers=auth(user_token(supplier)))
    assert dialog_id in [i["id"] for i in participating.json()["data"]]

    outsider = auth(user_token(colleague, tenant=tenant, level1=["procurement"], level2=["any"], name="Col"))
    available = (await http.get("/api/v1/dialogs", params={"type": "available"}, headers=outsider)).json()["data"]
    item = next(i for i in available if i["id"] == dialog_id)
    assert item["can_join"] is True and item["i_am_participant"] is False and item["last_message"] is None
    mine = (await http.get("/api/v1/dialogs", params={"type": "participating"}, headers=outsider)).json()["data"]
    assert dialog_id not in [i["id"] for i in mine]

    r = await http.post(f"/api/v1/dialogs/{dialog_id}/join", headers=outsider)
    assert r.status_code == 200 and r.json()["data"]["status"] == "joined"

    mine = (await http.get("/api/v1/dialogs", params={"type": "participating"}, headers=outsider)).json()["data"]
    joined = next(i for i in mine if i["id"] == dialog_id)
    assert joined["i_am_participant"] is True and joined["participants_count"] == 3
    available = (await http.get("/api/v1/dialogs", params={"type": "available"}, headers=outsider)).json()["data"]
    assert dialog_id not in [i["id"] for i in available]
