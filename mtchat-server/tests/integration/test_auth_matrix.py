"""Every Chat and Management route of the dialog side x every kind of caller → the SPEC status.

Outsiders never learn that a dialog exists (404, never 403)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import ADMIN_STATIC, auth, create_dialog, uid, user_token
from tests.conftest import admin_token as make_admin_token

BAD = ["no_token", "bad_signature", "expired", "alg_none"]

# (method, path, body, outsider, potential participant, participant)
CHAT: list[tuple[str, str, Any, int, int, int]] = [
    ("GET", "/api/v1/dialogs", None, 200, 200, 200),
    ("GET", "/api/v1/dialogs?type=available", None, 200, 200, 200),
    ("GET", "/api/v1/unread", None, 200, 200, 200),
    ("GET", "/api/v1/dialogs/{id}", None, 404, 200, 200),
    ("GET", "/api/v1/dialogs/by-object/tender/{obj}", None, 404, 200, 200),
    ("GET", "/api/v1/dialogs/by-object/tender/{obj}/list", None, 200, 200, 200),
    ("POST", "/api/v1/dialogs/{id}/join", None, 404, 200, 200),
    ("POST", "/api/v1/dialogs/{id}/leave", None, 404, 403, 200),
    ("GET", "/api/v1/dialogs/{id}/participants", None, 404, 200, 200),
    ("POST", "/api/v1/dialogs/{id}/archive", None, 404, 403, 200),
    ("POST", "/api/v1/dialogs/{id}/unarchive", None, 404, 403, 200),
    ("POST", "/api/v1/dialogs/{id}/pin", None, 404, 403, 200),
    ("POST", "/api/v1/dialogs/{id}/unpin", None, 404, 403, 200),
    ("POST", "/api/v1/dialogs/{id}/notifications", {"enabled": False}, 404, 403, 200),
]

# (method, path, body, status for an admin)
MANAGEMENT: list[tuple[str, str, Any, int]] = [
    ("POST", "/api/v1/management/dialogs", {"object_type": "t", "object_id": "o"}, 201),
    ("POST", "/api/v1/management/dialogs/search", {"object_type": "tender", "object_id": "{obj}"}, 200),
    ("GET", "/api/v1/management/dialogs?object_type=tender&object_id={obj}", None, 200),
    ("GET", "/api/v1/management/dialogs/{id}", None, 200),
    ("PATCH", "/api/v1/management/dialogs/{id}", {"title": "x"}, 200),
    ("DELETE", "/api/v1/management/dialogs/{id}", None, 204),
    ("POST", "/api/v1/management/dialogs/{id}/participants", {"user_id": "{new}"}, 201),
    ("DELETE", "/api/v1/management/dialogs/{id}/participants/{member}", None, 204),
    ("PUT", "/api/v1/management/dialogs/{id}/access-scopes", {"access_scopes": []}, 200),
    ("POST", "/api/v1/management/dialogs/{id}/messages", {"content": "hello"}, 201),
]


def bad_token(kind: str, user: str) -> dict[str, str]:
    if kind == "no_token":
        return {}
    if kind == "bad_signature":
        return auth(user_token(user, secret="not-the-right-secret-but-long-enough-for-hs256"))
    if kind == "expired":
        return auth(user_token(user, exp_in=-3600))
    payload = {"sub": user, "exp": int(time.time()) + 3600}
    return auth(jwt.encode(payload, None, algorithm="none"))  # type: ignore[arg-type]


async def _setup(http: httpx.AsyncClient) -> dict[str, str]:
    tenant = uid("t")
    member, obj = uid("m"), uid("obj")
    d = await create_dialog(http, object_id=obj, participants=[member], scopes=[{"tenant_uid": tenant}])
    return {"id": d["id"], "obj": obj, "member": member, "tenant": tenant, "new": uid("n")}


def _fill(template: Any, ctx: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**ctx)
    if isinstance(template, dict):
        return {k: _fill(v, ctx) for k, v in template.items()}
    return template


async def _call(http: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]) -> int:
    r = await http.request(method, path, json=body, headers=headers)
    if r.status_code >= 400:
        assert set(r.json()["error"]) == {"code", "message"}
    return r.status_code


CHAT_ACTORS = [*BAD, "admin_jwt", "admin_static", "outsider", "potential", "participant"]


@pytest.mark.parametrize("actor", CHAT_ACTORS)
@pytest.mark.parametrize("route", CHAT, ids=[f"{m} {p}" for m, p, *_ in CHAT])
async def test_chat_matrix(http: httpx.AsyncClient, route: tuple[str, str, Any, int, int, int], actor: str) -> None:
    method, path, body, outsider, potential, participant = route
    ctx = await _setup(http)
    if actor in BAD:
        headers, expected = bad_token(actor, ctx["member"]), 401
    elif actor == "admin_jwt":
        headers, expected = auth(make_admin_token()), 401
    elif actor == "admin_static":
        headers, expected = auth(ADMIN_STATIC), 401
    elif actor == "outsider":
        headers, expected = auth(user_token(uid(), tenant=uid("other"))), outsider
    elif actor == "potential":
        headers, expected = auth(user_token(uid(), tenant=ctx["tenant"])), potential
    else:
        headers, expected = auth(user_token(ctx["member"])), participant
    status = await _call(http, method, _fill(path, ctx), _fill(body, ctx), headers)
    assert status == expected


MGMT_ACTORS = [*BAD, "user_on_management", "outsider", "potential", "participant", "admin_jwt", "admin_static"]


@pytest.mark.parametrize("actor", MGMT_ACTORS)
@pytest.mark.parametrize("route", MANAGEMENT, ids=[f"{m} {p}" for m, p, *_ in MANAGEMENT])
async def test_management_matrix(http: httpx.AsyncClient, route: tuple[str, str, Any, int], actor: str) -> None:
    method, path, body, admin_status = route
    ctx = await _setup(http)
    if actor in BAD:
        headers, expected = bad_token(actor, "host"), 401
    elif actor == "admin_jwt":
        headers, expected = auth(make_admin_token()), admin_status
    elif actor == "admin_static":
        headers, expected = auth(ADMIN_STATIC), admin_status
    elif actor in ("user_on_management", "outsider"):
        headers, expected = auth(user_token(uid())), 401
    elif actor == "potential":
        headers, expected = auth(user_token(uid(), tenant=ctx["tenant"])), 401
    else:
        headers, expected = auth(user_token(ctx["member"])), 401
    status = await _call(http, method, _fill(path, ctx), _fill(body, ctx), headers)
    assert status == expected


async def test_expired_admin_token_is_401(http: httpx.AsyncClient) -> None:
    r = await http.get(f"/api/v1/management/dialogs/{(await _setup(http))['id']}",
                       headers=auth(make_admin_token(exp_in=-3600)))
    assert r.status_code == 401


async def test_missing_dialog_is_404_for_admin(http: httpx.AsyncClient) -> None:
    missing = "01890000-0000-7000-8000-000000000000"
    r = await http.get(f"/api/v1/management/dialogs/{missing}", headers=auth(make_admin_token()))
    assert r.status_code == 404 and r.json()["error"]["code"] == "DIALOG_NOT_FOUND"
    r = await http.get(f"/api/v1/dialogs/{missing}", headers=auth(user_token(uid())))
    assert r.status_code == 404 and r.json()["error"]["code"] == "DIALOG_NOT_FOUND"
