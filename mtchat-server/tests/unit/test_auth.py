from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from mtchat.auth import admin_from_token, bearer, user_from_token
from mtchat.errors import Unauthorized
from mtchat.settings import Settings

NEW = "new-secret-0123456789abcdef0123456789"
OLD = "old-secret-0123456789abcdef0123456789"
ADM = "adm-secret-0123456789abcdef0123456789"
WRONG = "wrong-secret-0123456789abcdef01234567"
SETTINGS = Settings(jwt_secrets=[NEW, OLD], admin_jwt_secret=ADM, admin_api_token="static-admin")
DEV = Settings(jwt_secret=NEW, admin_api_token="x", mtchat_dev=True)


def token(secret: str = NEW, **claims: object) -> str:
    payload: dict[str, object] = {"sub": "u1", "exp": int(time.time()) + 60}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def test_claims_become_user() -> None:
    user = user_from_token(
        token(tenant_uid="t1", scope_level1=["a"], scope_level2=["x", "y"], name="Ann", company="ACME"), SETTINGS
    )
    assert (user.user_id, user.tenant_uid, user.scope_level1, user.scope_level2) == ("u1", "t1", ("a",), ("x", "y"))
    assert (user.name, user.company) == ("Ann", "ACME")


def test_rotated_secret_accepted() -> None:
    assert user_from_token(token(OLD), SETTINGS).user_id == "u1"


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "not-a-jwt",
        token(WRONG),
        token(exp=int(time.time()) - 3600),
        token(exp=None),
        token(sub=None),
        token(kind="admin"),
    ],
)
def test_bad_user_tokens(bad: str | None) -> None:
    with pytest.raises(Unauthorized):
        user_from_token(bad, SETTINGS)


def test_alg_none_rejected() -> None:
    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': 'u1', 'exp': int(time.time()) + 60})}."
    with pytest.raises(Unauthorized):
        user_from_token(unsigned, SETTINGS)


def test_other_algorithm_rejected() -> None:
    hs512 = jwt.encode({"sub": "u1", "exp": int(time.time()) + 60}, NEW * 3, algorithm="HS512")
    with pytest.raises(Unauthorized):
        user_from_token(hs512, SETTINGS)


def test_scope_header_only_in_dev() -> None:
    header = json.dumps({"tenant_uid": "t9", "scope_level1": ["z"]})
    assert user_from_token(token(tenant_uid="t1"), SETTINGS, header).tenant_uid == "t1"
    assert user_from_token(token(tenant_uid="t1"), DEV, header).tenant_uid == "t9"


def test_admin_tokens() -> None:
    assert admin_from_token("static-admin", SETTINGS).subject == "static-token"
    admin_jwt = jwt.encode({"sub": "host", "exp": int(time.time()) + 60}, ADM, algorithm="HS256")
    assert admin_from_token(admin_jwt, SETTINGS).subject == "host"
    for bad in (None, "static-admin-x", token(NEW), token(ADM, exp=int(time.time()) - 3600)):
        with pytest.raises(Unauthorized):
            admin_from_token(bad, SETTINGS)


def test_bearer_parsing() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") is None
    assert bearer(None) is None
