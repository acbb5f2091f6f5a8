"""Read-path benchmark on PostgreSQL (issue 3): lists, history page, unread, search.

Needs a database produced by bench/generate.py. Starts `mtchat serve` against it, then runs
N requests per path with bounded concurrency and prints p50/p95/p99 latency and req/s.
With --explain it also prints EXPLAIN (ANALYZE, BUFFERS) of the participating / available list
SQL, compiled from mtchat.services.dialogs exactly as the service builds it.

    python bench/read_paths.py --db mtchat_bench --requests 1000 --concurrency 8 --explain
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, db_dsn, print_table, summary, user_token
from generate import RARE_WORD, user_profile

REDIS_URL = "redis://127.0.0.1:6379/0"


async def run_path(
    client: httpx.AsyncClient, name: str, reqs: list[tuple[str, str]], concurrency: int, srv: Server
) -> dict[str, Any]:
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}

    async def one(url: str, token: str) -> None:
        nonlocal errors
        async with sem:
            t = time.perf_counter()
            r = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            dt = (time.perf_counter() - t) * 1000
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code == 200:
                lat.append(dt)
            else:
                errors += 1

    # warm-up (not counted)
    await asyncio.gather(*(one(u, tk) for u, tk in reqs[: min(50, len(reqs))]))
    lat.clear()
    errors = 0
    statuses.clear()
    t0, cpu0 = time.perf_counter(), srv.cpu_seconds()
    await asyncio.gather(*(one(u, tk) for u, tk in reqs))
    wall = time.perf_counter() - t0
    res = summary(name, lat, wall, errors)
    # Server CPU per request: unlike latency, it does not grow when other processes share the cores.
    res["cpu_ms"] = round((srv.cpu_seconds() - cpu0) * 1000 / len(reqs), 2)
    if errors:
        res["statuses"] = statuses
    return res


async def explain(dsn: str, n_users: int) -> None:
    """EXPLAIN ANALYZE of the two list queries, compiled from the service's own SQLAlchemy code."""
    from mtchat.auth import User
    from mtchat.db.models import AccessScope, Dialog, Participant
    from mtchat.services import dialogs as svc
    from sqlalchemy.dialects import postgresql

    prof = user_profile(random.randrange(n_users))
    user = User(
        user_id=str(prof["sub"]),
        tenant_uid=str(prof["tenant_uid"]),
        scope_level1=tuple(prof["scope_level1"]),  # type: ignore[arg-type]
        scope_level2=tuple(prof["scope_level2"]),  # type: ignore[arg-type]
    )
    from sqlalchemy import select

    # Mirrors svc.list_dialogs (first page, default limit 50 + 1).
    part = (
        select(Dialog, Participant)
        .join(Participant, (Participant.dialog_id == Dialog.id) & (Participant.user_id == user.user_id))
        .where(Participant.is_archived.is_(False))
        .order_by(Participant.is_pinned.desc(), Participant.activity_at.desc(), Participant.dialog_id.desc())
        .limit(51)
    )
    avail = (
        svc.available_stmt(user, "postgresql")
        .order_by(AccessScope.activity_at.desc(), AccessScope.dialog_id.desc())
        .limit(51)
    )
    conn = await asyncpg.connect(dsn)
    try:
        for label, stmt in (("participating", part), ("available", avail)):
            sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(f"\n### EXPLAIN ANALYZE: {label} list (user {user.user_id}, {user.tenant_uid}, "
                  f"l1={list(user.scope_level1)}, l2={list(user.scope_level2)})\n")
            print(sql)
            print()
            for row in plan:
                print("    " + row[0])
    finally:
        await conn.close()


async def amain() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="mtchat_bench")
    ap.add_argument("--users", type=int, default=10_000, help="users in the generated data")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--search", default=f"{RARE_WORD},truck", help="comma list of search words")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--workers", type=int, default=1,
                    help="server processes (`mtchat serve --workers`; more than 1 needs Redis at 127.0.0.1:6379)")
    ap.add_argument("--json", default=None, help="write results to this file")
    args = ap.parse_args()
    rnd = random.Random(1)
    dsn = db_dsn(args.db)

    conn = await asyncpg.connect(dsn)
    pairs = await conn.fetch(
        "SELECT dialog_id, user_id FROM participants TABLESAMPLE SYSTEM (5) LIMIT $1", args.requests * 2
    )
    await conn.close()
    pairs = list(pairs)
    rnd.shuffle(pairs)

    def tok_for(uid_num: int) -> str:
        return user_token(user_profile(uid_num))

    tokens = {i: tok_for(i) for i in range(args.users)}

    def rand_user() -> str:
        return tokens[rnd.randrange(args.users)]

    n = args.requests
    plans: list[tuple[str, list[tuple[str, str]]]] = [
        ("GET /dialogs?type=participating", [("/api/v1/dialogs?type=participating", rand_user()) for _ in range(n)]),
        ("GET /dialogs?type=available", [("/api/v1/dialogs?type=available", rand_user()) for _ in range(n)]),
        (
            "GET /dialogs/{id}/messages?limit=50",
            [
                (f"/api/v1/dialogs/{p['dialog_id']}/messages?limit=50", tokens[int(p["user_id"][1:])])
                for p in (pairs[i % len(pairs)] for i in range(n))
            ],
        ),
        ("GET /unread", [("/api/v1/unread", rand_user()) for _ in range(n)]),
    ]
    for word in [w for w in args.search.split(",") if w]:
        plans.append((f"GET /search/messages?q={word}", [(f"/api/v1/search/messages?q={word}", rand_user()) for _ in range(n)]))

    results = []
    workers = {"WEB_CONCURRENCY": str(args.workers)}
    with Server(args.db, redis_url=REDIS_URL if args.workers > 1 else None, extra_env=workers) as srv:
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=srv.base, limits=limits, timeout=60) as client:
            for name, reqs in plans:
                res = await run_path(client, name, reqs, args.concurrency, srv)
                results.append(res)
                print(json.dumps(res), flush=True)
    print()
    print(f"requests per path: {n}, concurrency: {args.concurrency}, `mtchat serve --workers {args.workers}`")
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if args.explain:
        await explain(dsn, args.users)


if __name__ == "__main__":
    asyncio.run(amain())
