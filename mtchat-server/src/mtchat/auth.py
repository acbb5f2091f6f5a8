"""Token verification (SPEC §5.1). Scopes come from the signed token, never from the browser."""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from mtchat.errors import Unauthorized
from mtchat.settings import Settings

ALGORITHM = "HS256"  # pinned: alg=none and every other algorithm is refused


@dataclass(frozen=True, slots=True)
class User:
    """The caller of the Chat API, as the host's signed token describes them."""

    user_id: str
    tenant_uid: str | None = None
    scope_level1: tuple[str, ...] = ()
    scope_level2: tuple[str, ...] = ()
    name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Admin:
    subject: str


def _str_list(value: Any, claim: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise Unauthorized(f"token claim {claim} must be a list of strings")


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _decode(token: str, secrets: list[str], leeway: int) -> dict[str, Any]:
    if not secrets:
        raise Unauthorized("this server accepts no tokens of this kind")
    last: Exception | None = None
    for secret in secrets:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                leeway=leeway,
                options={"require": ["exp"], "verify_aud": False},
            )
            return claims
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidSignatureError as exc:
            last = exc  # try the next secret (key rotation)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
    raise Unauthorized("invalid token signature") from last


def user_from_token(token: str | None, settings: Settings, scope_header: str | None = None) -> User:
    if not token:
        raise Unauthorized("missing bearer token")
    claims = _decode(token, settings.user_secrets, settings.jwt_leeway_seconds)
    if claims.get("kind") == "admin":
        raise Unauthorized("admin tokens are not accepted on the Chat API")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise Unauthorized("token has no valid sub claim")
    tenant = _opt_str(claims.get("tenant_uid"))
    level1 = _str_list(claims.get("scope_level1"), "scope_level1")
    level2 = _str_list(claims.get("scope_level2"), "scope_level2")
    if scope_header and settings.mtchat_dev:
        # Development only: the SDK's scopeConfig stands in for real token claims.
        try:
            override = json.loads(scope_header)
        except ValueError as exc:
            raise Unauthorized("X-Scope-Config is not JSON") from exc
        if isinstance(override, dict):
            tenant = _opt_str(override.get("tenant_uid")) or tenant
            level1 = _str_list(override.get("scope_level1", list(level1)), "scope_level1")
            level2 = _str_list(override.get("scope_level2", list(level2)), "scope_level2")
    return User(
        user_id=sub,
        tenant_uid=tenant,
        scope_level1=level1,
        scope_level2=level2,
        name=_opt_str(claims.get("name")),
        company=_opt_str(claims.get("company")),
        email=_opt_str(claims.get("email")),
        phone=_opt_str(claims.get("phone")),
        claims=claims,
    )


def admin_from_token(token: str | None, settings: Settings) -> Admin:
    if not token:
        raise Unauthorized("missing bearer token")
    if settings.admin_api_token and hmac.compare_digest(token.encode(), settings.admin_api_token.encode()):
        return Admin(subject="static-token")
    if settings.admin_jwt_secret and token.count(".") == 2:
        claims = _decode(token, [settings.admin_jwt_secret], settings.jwt_leeway_seconds)
        return Admin(subject=str(claims.get("sub") or "admin"))
    raise Unauthorized("an admin token is required")


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def mint_user_token(
    settings: Settings,
    user_id: str,
    *,
    tenant_uid: str | None = None,
    scope_level1: list[str] | None = None,
    scope_level2: list[str] | None = None,
    ttl_seconds: int = 24 * 3600,
    **profile: str,
) -> str:
    """Development helper behind `mtchat token`; hosts mint their own tokens the same way."""
    if not settings.user_secrets:
        raise Unauthorized("no JWT_SECRET configured")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + ttl_seconds}
    if tenant_uid:
        claims["tenant_uid"] = tenant_uid
    claims["scope_level1"] = scope_level1 or []
    claims["scope_level2"] = scope_level2 or []
    claims.update({k: v for k, v in profile.items() if v})
    return jwt.encode(claims, settings.user_secrets[0], algorithm=ALGORITHM)


def mint_admin_token(settings: Settings, ttl_seconds: int = 24 * 3600) -> str:
    if settings.admin_jwt_secret:
        now = int(time.time())
        claims = {"sub": "admin", "kind": "admin", "iat": now, "exp": now + ttl_seconds}
        return jwt.encode(claims, settings.admin_jwt_secret, algorithm=ALGORITHM)
    if settings.admin_api_token:
        return settings.admin_api_token
    raise Unauthorized("no ADMIN_JWT_SECRET or ADMIN_API_TOKEN configured")
