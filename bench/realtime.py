"""Realtime benchmark (issue 4) on PostgreSQL + Redis: one `mtchat serve` process.

(a) REST send throughput, 50 concurrent senders, each recipient connected on a WebSocket;
(b) send->socket latency at a steady rate (default 200 msg/s) with N connected sockets (default 1,000);
(c) fan-out time of one message to a dialog with N participants all connected (p99 over R rounds);
(d) RSS of the server process holding N idle sockets (server started under `ulimit -n`).

The database is created fresh (default mtchat_rt); dialogs are created through the Management API.
Client and server share this machine's cores: the client's own CPU use is part of what limits the numbers.

    python bench/realtime.py --only a,b,c,d --sockets 1000 --idle 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ADMIN_TOKEN, Server, pct, user_token
from generate import create_database, migrate

REDIS = "redis://127.0.0.1:6379/0"
RUN = uuid.uuid4().hex[:6]
MARK = re.compile(r"mk-[a-z]-\d+")


def tok(uid: str) -> str:
    return user_token({"sub": uid, "tenant_uid": "t0", "scope_level1": [], "scope_level2": []}, ttl=7200)


class Sock:
    """A client socket that timestamps every message.new it receives, keyed by content marker."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.recv: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.count = 0
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        try:
            async for raw in self.ws:
                t = time.perf_counter()
                ev = json.loads(raw)
                if ev.get("type") != "message.new":
                    continue
                self.count += 1
                m = MARK.search(str(ev["message"].get("content", "")))
                marker = m.group(0) if m else ""
                fut = self.waiters.pop(marker, None)
                if fut is not None and not fut.done():
                    fut.set_result(t)
                else:
                    self.recv[marker] = t
        except websockets.ConnectionClosed:
            pass

    def wait_for(self, marker: str) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if marker in self.recv:
            fut.set_result(self.recv.pop(marker))
        else:
            self.waiters[marker] = fut
        return fut

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()


async def connect_many(base_ws: str, uids: list[str], concurrency: int = 50, track: bool = True) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)

    async def one(uid: str) -> Any:
        async with sem:
            ws = await websockets.connect(f"{base_ws}/api/v1/ws?token={tok(uid)}", max_queue=None, ping_interval=None)
            first = json.loads(await ws.recv())
            assert first.get("type") == "connected", first
            return Sock(ws) if track else ws

    return list(await asyncio.gather(*(one(u) for u in uids)))


async def create_dialogs(client: httpx.AsyncClient, groups: list[list[str]], concurrency: int = 8) -> list[str]:
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int, members: list[str]) -> str:
        async with sem:
            r = await client.post(
                "/api/v1/management/dialogs",
                json={"object_type": "bench", "object_id": f"{RUN}-{i}", "title": f"bench {i}", "participants": members},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            r.raise_for_status()
            return str(r.json()["data"]["id"])

    return list(await asyncio.gather(*(one(i, g) for i, g in enumerate(groups))))


async def send(client: httpx.AsyncClient, did: str, uid: str, text: str) -> int:
    r = await client.post(
        f"/api/v1/dialogs/{did}/messages", json={"content": text}, headers={"Authorization": f"Bearer {tok(uid)}"}
    )
    return r.status_code


async def bench_a(srv: Server, seconds: float, senders: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(base_url=srv.base, limits=limits, timeout=60) as client:
        groups = [[f"a{RUN}s{i}", f"a{RUN}r{i}"] for i in range(senders)]
        dids = await create_dialogs(client, groups)
        socks = await connect_many(srv.base.replace("http", "ws"), [g[1] for g in groups])
        ok = err = 0
        lat: list[float] = []
        stop = time.perf_counter() + seconds

        async def loop(i: int) -> None:
            nonlocal ok, err
            n = 0
            while time.perf_counter() < stop:
                t = time.perf_counter()
                code = await send(client, dids[i], groups[i][0], f"a {i} {n}")
                n += 1
                if code == 201:
                    ok += 1
                    lat.append((time.perf_counter() - t) * 1000)
                else:
                    err += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(loop(i) for i in range(senders)))
        wall = time.perf_counter() - t0
        await asyncio.sleep(1.0)
        delivered = sum(s.count for s in socks)
        for s in socks:
            await s.close()
    return {
        "test": "a", "senders": senders, "seconds": round(wall, 1), "sent": ok, "errors": err,
        "msgs_per_s": round(ok / wall, 1), "post_p50_ms": round(pct(lat, 50), 1), "post_p95_ms": round(pct(lat, 95), 1),
        "post_p99_ms": round(pct(lat, 99), 1), "delivered_to_sockets": delivered,
    }


async def bench_b(srv: Server, sockets: int, rate: float, seconds: float) -> dict[str, Any]:
    n_dialogs = sockets // 2
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=srv.base, limits=limits, timeout=60) as client:
        groups = [[f"b{RUN}x{i}", f"b{RUN}y{i}"] for i in range(n_dialogs)]
        dids = await create_dialogs(client, groups)
        socks = await connect_many(srv.base.replace("http", "ws"), [u for g in groups for u in g])
        by_user = {g[j]: socks[2 * i + j] for i, g in enumerate(groups) for j in range(2)}
        lat: list[float] = []
        lost = 0
        tasks = []
        sem = asyncio.Semaphore(64)

        async def one(k: int) -> None:
            nonlocal lost
            i = k % n_dialogs
            sender, recipient = groups[i][k // n_dialogs % 2], groups[i][1 - k // n_dialogs % 2]
            marker = f"mk-b-{k}"
            fut = by_user[recipient].wait_for(marker)
            async with sem:
                t = time.perf_counter()
                code = await send(client, dids[i], sender, marker)
            if code != 201:
                lost += 1
                return
            try:
                got = await asyncio.wait_for(fut, 10)
                lat.append((got - t) * 1000)
            except TimeoutError:
                lost += 1

        total = int(rate * seconds)
        t0 = time.perf_counter()
        for k in range(total):
            target = t0 + k / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        for s in socks:
            await s.close()
    return {
        "test": "b", "sockets": sockets, "target_rate": rate, "achieved_rate": round(total / wall, 1), "sent": total,
        "lost_or_failed": lost, "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
        "p99_ms": round(pct(lat, 99), 1),
    }


async def bench_c(srv: Server, participants: int, rounds: int, settle: float = 0.0) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=srv.base, timeout=120) as client:
        members = [f"c{RUN}m{i}" for i in range(participants)]
        (did,) = await create_dialogs(client, [members])
        socks = await connect_many(srv.base.replace("http", "ws"), members)
        receivers = socks[1:]
        # connecting N members publishes presence.update to every co-member (O(N^2) events): let it drain
        await asyncio.sleep(settle)
        last_ms: list[float] = []
        all_ms: list[float] = []
        for r in range(rounds):
            marker = f"mk-c-{r}"
            futs = [s.wait_for(marker) for s in receivers]
            t = time.perf_counter()
            code = await send(client, did, members[0], marker)
            assert code == 201, code
            got = await asyncio.wait_for(asyncio.gather(*futs), 30)
            times = [(g - t) * 1000 for g in got]
            all_ms.extend(times)
            last_ms.append(max(times))
            await asyncio.sleep(0.05)
        for s in socks:
            await s.close()
    return {
        "test": "c", "participants": participants, "rounds": rounds,
        "settle_s": settle, "rounds_ms": [round(x) for x in last_ms],
        "last_socket_p50_ms": round(pct(last_ms, 50), 1), "last_socket_p99_ms": round(pct(last_ms, 99), 1),
        "per_socket_p50_ms": round(pct(all_ms, 50), 1), "per_socket_p99_ms": round(pct(all_ms, 99), 1),
    }


async def bench_d(srv: Server, n: int) -> dict[str, Any]:
    await asyncio.sleep(1)
    base_rss = srv.rss_kb()
    t0 = time.perf_counter()
    conns = await connect_many(srv.base.replace("http", "ws"), [f"d{RUN}i{i}" for i in range(n)], 100, track=False)
    connect_s = time.perf_counter() - t0
    await asyncio.sleep(3)
    rss = srv.rss_kb()
    for c in conns:
        await c.close()
    return {
        "test": "d", "sockets": n, "connect_seconds": round(connect_s, 1), "rss_before_kb": base_rss,
        "rss_after_kb": rss, "kb_per_socket": round((rss - base_rss) / n, 1),
    }


async def amain() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="mtchat_rt")
    ap.add_argument("--only", default="a,b,c,d")
    ap.add_argument("--senders", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sockets", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--settle", type=float, default=0.0, help="(c): seconds to wait after connecting")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--redis", default=REDIS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    nofile = hard
    idle = min(args.idle, hard - 500)
    await create_database(args.db)
    from common import db_dsn

    await migrate(db_dsn(args.db))
    only = set(args.only.split(","))
    results = []
    with Server(args.db, redis_url=args.redis, nofile=nofile) as srv:
        if "a" in only:
            results.append(await bench_a(srv, args.seconds, args.senders))
            print(json.dumps(results[-1]), flush=True)
        if "b" in only:
            results.append(await bench_b(srv, args.sockets, args.rate, args.seconds))
            print(json.dumps(results[-1]), flush=True)
        if "c" in only:
            results.append(await bench_c(srv, args.fanout, args.rounds, args.settle))
            print(json.dumps(results[-1]), flush=True)
    if "d" in only:
        # fresh process so (a)-(c) leave nothing behind in its heap
        with Server(args.db, redis_url=args.redis, nofile=nofile) as srv:
            results.append(await bench_d(srv, idle))
            print(json.dumps(results[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(amain())
