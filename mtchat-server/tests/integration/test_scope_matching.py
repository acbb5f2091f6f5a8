"""SPEC §4 scope matching as a table, checked through the API (available list + join) and against the
pure rule in mtchat.domain.scopes, so the SQL form and the Python form must agree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mtchat.domain.scopes import Scope, any_scope_matches
from tests.conftest import auth, create_dialog, uid, user_token

T, OTHER = "{T}", "{OTHER}"


def sc(tenant: str, l1: list[str] | None = None, l2: list[str] | None = None) -> dict[str, Any]:
    return {"tenant_uid": tenant, "scope_level1": l1 or [], "scope_level2": l2 or []}


# (dialog scopes, user tenant, user level1, user level2, expected visible/joinable)
CASES: list[tuple[str, list[dict[str, Any]], str | None, list[str], list[str], bool]] = [
    ("tenant only, user with levels", [sc(T)], T, ["a"], ["x"], True),
    ("tenant only, user with empty levels", [sc(T)], T, [], [], True),
    ("other tenant", [sc(T)], OTHER, ["a"], ["x"], False),
    ("user without tenant", [sc(T)], None, ["a"], ["x"], False),
    ("l1 shared value", [sc(T, ["a", "b"])], T, ["b"], [], True),
    ("l1 no shared value", [sc(T, ["a", "b"])], T, ["c"], [], False),
    ("l1 required, user empty l1", [sc(T, ["a"])], T, [], ["x"], False),
    ("l2 shared value", [sc(T, [], ["x"])], T, [], ["x", "y"], True),
    ("l2 required, user empty l2", [sc(T, [], ["x"])], T, ["a"], [], False),
    ("both levels shared", [sc(T, ["a"], ["x"])], T, ["a", "z"], ["x"], True),
    ("l1 ok, l2 not", [sc(T, ["a"], ["x"])], T, ["a"], ["y"], False),
    ("l2 ok, l1 not", [sc(T, ["a"], ["x"])], T, ["b"], ["x"], False),
    ("both levels, user empty", [sc(T, ["a"], ["x"])], T, [], [], False),
    ("values from different scopes do not combine",
     [sc(T, ["a"], ["x"]), sc(T, ["b"], ["y"])], T, ["a"], ["y"], False),
    ("second of several scopes matches", [sc(T, ["a"]), sc(T, ["b"])], T, ["b"], [], True),
    ("several scopes, other tenant on the matching one", [sc(OTHER, ["a"]), sc(T, ["b"])], T, ["a"], [], False),
    ("several scopes, one per tenant", [sc(OTHER), sc(T, ["a"])], OTHER, [], [], True),
    ("no scopes at all", [], T, ["a"], ["x"], False),
    ("case-sensitive values", [sc(T, ["A"])], T, ["a"], [], False),
    ("many values one shared", [sc(T, ["a", "b", "c", "d"], ["w", "x"])], T, ["d"], ["w"], True),
    ("l1 any, l2 list, user has extra l1", [sc(T, [], ["x"])], T, ["q", "r"], ["x"], True),
    ("tenant scope plus restrictive scope", [sc(T, ["a"]), sc(T)], T, [], [], True),
]


def _sub(value: str | None, ten: dict[str, str]) -> str | None:
    return ten.get(value, value) if value is not None else None


@pytest.mark.parametrize(("name", "scopes", "tenant", "l1", "l2", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_scope_table(
    http: httpx.AsyncClient, name: str, scopes: list[dict[str, Any]], tenant: str | None,
    l1: list[str], l2: list[str], expected: bool,
) -> None:
    ten = {T: uid("t"), OTHER: uid("o")}
    real = [{**s, "tenant_uid": ten[s["tenant_uid"]]} for s in scopes]
    user_tenant = _sub(tenant, ten)
    # the pure rule agrees with the table
    pure = any_scope_matches(
        (Scope(s["tenant_uid"], tuple(s["scope_level1"]), tuple(s["scope_level2"])) for s in real),
        user_tenant, l1, l2,
    )
    assert pure is expected, name

    d = await create_dialog(http, participants=[uid()], scopes=real)
    tok = auth(user_token(uid(), tenant=user_tenant, level1=l1, level2=l2))
    available = (await http.get("/api/v1/dialogs", params={"type": "available"}, headers=tok)).json()["data"]
    assert (d["id"] in [i["id"] for i in available]) is expected, name
    got = await http.get(f"/api/v1/dialogs/{d['id']}", headers=tok)
    assert got.status_code == (200 if expected else 404), name
    joined = await http.post(f"/api/v1/dialogs/{d['id']}/join", headers=tok)
    assert joined.status_code == (200 if expected else 404), name
    if not expected:
        assert joined.json()["error"]["code"] == "DIALOG_NOT_FOUND"
    else:
        mine = (await http.get("/api/v1/dialogs", headers=tok)).json()["data"]
        assert d["id"] in [i["id"] for i in mine]
