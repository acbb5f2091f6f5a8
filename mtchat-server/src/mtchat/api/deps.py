"""Request dependencies as Annotated aliases: the runtime, the caller (user or admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mtchat.auth import Admin, User, admin_from_token, user_from_token
from mtchat.errors import RateLimited
from mtchat.runtime import Runtime

_user_bearer = HTTPBearer(auto_error=False, scheme_name="UserToken", description="User JWT (HS256)")
_admin_bearer = HTTPBearer(
    auto_error=False, scheme_name="AdminToken", description="Admin JWT or static ADMIN_API_TOKEN"
)


async def get_runtime(request: Request) -> Runtime:
    # async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop on
    # every request for an attribute read.
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def current_user(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_user_bearer)],
    x_scope_config: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> User:
    token = credentials.credentials if credentials else None
    user = user_from_token(token, runtime.settings, x_scope_config)
    retry_after = await runtime.rate_limiter.hit(f"u:{user.user_id}")
    if retry_after is not None:
        raise RateLimited(retry_after)
    return user


async def current_admin(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> Admin:
    token = credentials.credentials if credentials else None
    return admin_from_token(token, runtime.settings)


CurrentUser = Annotated[User, Depends(current_user)]
CurrentAdmin = Annotated[Admin, Depends(current_admin)]
