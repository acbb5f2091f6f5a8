"""Per-user request budget (SPEC §3 RATE_LIMIT_PER_MINUTE, §6): 429 with Retry-After, shared via Redis."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.conftest import auth, uid, user_token
from tests.conftest import test_db_kind as db_kind

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _statuses(urls: list[str], token: str) -> list[httpx.Response]:
    """One request per url, in order, within one one-minute budget window (waits out a boundary)."""
    if time.time() % 60 > 55:
        await asyncio.sleep(60 - time.time() % 60 + 0.1)
    async with httpx.AsyncClient(timeout=30) as client:
        return [await client.get(f"{url}/api/v1/unread", headers=auth(token)) for url in urls]


async def test_over_budget_is_429_with_retry_after_and_other_users_are_unaffected(server_factory: Any) -> None:
    srv = server_factory(rate_limit_per_minute=5)
    me, other = user_token(uid()), user_token(uid())
    responses = await _statuses([srv.url] * 7, me)
    assert [r.status_code for r in responses[:5]] == [200] * 5
    limited = responses[5]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert [r.status_code for r in await _statuses([srv.url], other)] == [200]


@pytest.mark.skipif(db_kind() != "postgres", reason="several processes share a budget only in the "
                    "PostgreSQL + Redis deployment; this runs in the MTCHAT_TEST_DB=postgres pass")
async def test_the_budget_is_shared_by_every_process_through_redis(server_factory: Any) -> None:
    a = server_factory(rate_limit_per_minute=6, redis_url=REDIS_URL)
    b = server_factory(rate_limit_per_minute=6, redis_url=REDIS_URL)
    token = user_token(uid())
    # Alternate between the two servers: each alone has seen only 4, but together 8 > 6.
    codes = [r.status_code for r in await _statuses([a.url, b.url] * 4, token)]
    assert codes[:6] == [200] * 6 and codes[6:] == [429, 429], codes
