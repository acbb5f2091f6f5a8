"""Realtime benchmark (issue 4) on PostgreSQL + Redis: `mtchat serve` (one process, or `--workers N`).

(a) REST send throughput, 50 concurrent senders, each recipient connected on a WebSocket;
(b) send->socket latency at a steady rate (default 200 msg/s, after a warm-up) with N connected sockets
    (default 1,000);
(c) fan-out time of one message to a dialog with N participants all connected (p99 over R rounds), once the
    presence frames caused by connecting them have arrived (`--no-drain`: right away);
(d) RSS of one server process holding N idle sockets (server started under `ulimit -n`).

The database is created fresh (default mtchat_rt); dialogs are created through the Management API.
Client and server share this machine's cores, so the client is kept cheap (its own HTTP/1.1 keep-alive
connections, no JSON parsing of frames) and the server's CPU per message is printed next to each result.

    python bench/realtime.py --only a,b,c,d --sockets 1000 --idle 10000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import re
import resource
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ADMIN_TOKEN, Server, pct, user_token
from generate import create_database, migrate

REDIS = "redis://127.0.0.1:6379/0"
RUN = uuid.uuid4().hex[:6]
DATABASE = "mtchat_rt"  # --db
MARK = re.compile(r"mk-[a-z]-\d+")


@functools.cache
def tok(uid: str) -> str:
    return user_token({"sub": uid, "tenant_uid": "t0", "scope_level1": [], "scope_level2": []}, ttl=7200)


def db_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` (live ones only)."""
    total = 0.0
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or ())
            if cmd.startswith("postgres: ") and f" {database} " in cmd:
                t = proc.cpu_times()
                total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class HttpConn:
    """One keep-alive HTTP/1.1 connection that speaks just enough HTTP for the message POSTs.

    With httpx (50 pooled connections) the load generator spent more CPU per request than the
    server it measured: about 7 ms, i.e. a whole core at ~130 requests/s. This costs tens of µs.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: bytes) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base: str) -> HttpConn:
        hostport = base.split("://", 1)[1]
        host, port = hostport.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, hostport.encode())

    async def post_json(self, path: str, body: dict[str, Any], token: str) -> int:
        data = json.dumps(body).encode()
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.host, token.encode(), len(data), data)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if match is None:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        await self.reader.readexactly(int(match.group(1)))
        return status

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


class HttpPool:
    """At most ``size`` requests in flight, each on a keep-alive connection of its own."""

    def __init__(self, base: str, size: int) -> None:
        self.base, self.size = base, size
        self.idle: asyncio.Queue[HttpConn] = asyncio.Queue()
        self.all: list[HttpConn] = []

    async def __aenter__(self) -> HttpPool:
        self.all = [await HttpConn.open(self.base) for _ in range(self.size)]
        for conn in self.all:
            self.idle.put_nowait(conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self.all:
            await conn.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[HttpConn]:
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)

    async def send(self, did: str, uid: str, text: str) -> int:
        async with self.connection() as conn:
            return await send(conn, did, uid, text)


async def send(conn: HttpConn, did: str, uid: str, text: str) -> int:
    return await conn.post_json(f"/api/v1/dialogs/{did}/messages", {"content": text}, tok(uid))


def server_cpu(srv: Server) -> float:
    """CPU seconds used so far by the server process and its workers (user + system)."""
    total = 0.0
    root = psutil.Process(srv.proc.pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


class Sock:
    """A client socket that timestamps every message.new it receives, keyed by content marker."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.recv: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.count = 0
        self.frames = 0
        self.last_frame = time.perf_counter()
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        try:
            async for raw in self.ws:
                t = time.perf_counter()
                self.frames += 1
                self.last_frame = t
                # No JSON parsing: the client's CPU is part of what (c) measures, and most frames
                # (presence) need none. The marker sits in the message content.
                if '"message.new"' not in raw:
                    continue
                self.count += 1
                m = MARK.search(raw)
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


async def drain(socks: list[Sock], quiet: float = 1.0, limit: float = 300.0) -> tuple[float, int]:
    """Wait until no socket has received anything for ``quiet`` seconds: (seconds waited, frames seen)."""
    t0 = time.perf_counter()
    before = sum(s.frames for s in socks)
    while time.perf_counter() - t0 < limit:
        await asyncio.sleep(quiet / 4)
        if time.perf_counter() - max(s.last_frame for s in socks) >= quiet:
            break
    return time.perf_counter() - t0, sum(s.frames for s in socks) - before


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


async def setup_dialogs(srv: Server, groups: list[list[str]]) -> list[str]:
    # A client of its own: its keep-alive connections would idle past the server's keep-alive
    # timeout while the sockets connect, and a request racing that close fails with ReadError.
    async with httpx.AsyncClient(base_url=srv.base, timeout=120) as client:
        return await create_dialogs(client, groups)


async def bench_a(srv: Server, seconds: float, senders: int) -> dict[str, Any]:
    groups = [[f"a{RUN}s{i}", f"a{RUN}r{i}"] for i in range(senders)]
    dids = await setup_dialogs(srv, groups)
    socks = await connect_many(srv.base.replace("http", "ws"), [g[1] for g in groups])
    async with HttpPool(srv.base, senders) as client:
        ok = err = 0
        lat: list[float] = []
        stop = time.perf_counter() + seconds

        async def loop(i: int) -> None:
            nonlocal ok, err
            n = 0
            while time.perf_counter() < stop:
                t = time.perf_counter()
                code = await client.send(dids[i], groups[i][0], f"a {i} {n}")
                n += 1
                if code == 201:
                    ok += 1
                    lat.append((time.perf_counter() - t) * 1000)
                else:
                    err += 1

        t0, cpu0, own0, db0 = time.perf_counter(), server_cpu(srv), time.process_time(), db_cpu(DATABASE)
        await asyncio.gather(*(loop(i) for i in range(senders)))
        wall = time.perf_counter() - t0
        cpu, own, db = server_cpu(srv) - cpu0, time.process_time() - own0, db_cpu(DATABASE) - db0
        await asyncio.sleep(1.0)
        delivered = sum(s.count for s in socks)
        for s in socks:
            await s.close()
    return {
        "test": "a", "senders": senders, "seconds": round(wall, 1), "sent": ok, "errors": err,
        "msgs_per_s": round(ok / wall, 1), "post_p50_ms": round(pct(lat, 50), 1), "post_p95_ms": round(pct(lat, 95), 1),
        "post_p99_ms": round(pct(lat, 99), 1), "delivered_to_sockets": delivered,
        "server_cpu_ms_per_msg": round(cpu * 1000 / max(ok, 1), 2), "server_cores_busy": round(cpu / wall, 2),
        "client_cores_busy": round(own / wall, 2), "db_cpu_ms_per_msg": round(db * 1000 / max(ok, 1), 2),
    }


async def bench_b(srv: Server, sockets: int, rate: float, seconds: float, warmup: float = 2.0) -> dict[str, Any]:
    n_dialogs = sockets // 2
    groups = [[f"b{RUN}x{i}", f"b{RUN}y{i}"] for i in range(n_dialogs)]
    dids = await setup_dialogs(srv, groups)
    socks = await connect_many(srv.base.replace("http", "ws"), [u for g in groups for u in g])
    by_user = {g[j]: socks[2 * i + j] for i, g in enumerate(groups) for j in range(2)}
    async with HttpPool(srv.base, 64) as client:
        lat: list[float] = []
        by_second: dict[int, list[float]] = {}
        lost = 0

        async def one(k: int, t0: float, record: bool) -> None:
            nonlocal lost
            i = k % n_dialogs
            sender, recipient = groups[i][k // n_dialogs % 2], groups[i][1 - k // n_dialogs % 2]
            marker = f"mk-b-{k}"
            fut = by_user[recipient].wait_for(marker)
            async with client.connection() as conn:  # at most 64 requests in flight
                t = time.perf_counter()
                code = await send(conn, dids[i], sender, marker)
            if code != 201:
                lost += 1
                return
            try:
                got = await asyncio.wait_for(fut, 10)
            except TimeoutError:
                lost += 1
                return
            if record:
                lat.append((got - t) * 1000)
                by_second.setdefault(int(t - t0), []).append((got - t) * 1000)

        async def steady(first: int, count: int, record: bool) -> float:
            """Send ``count`` messages at ``rate``; returns the wall time until the last was delivered."""
            t0 = time.perf_counter()
            tasks = []
            for n in range(count):
                delay = t0 + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(first + n, t0, record)))
            await asyncio.gather(*tasks)
            return time.perf_counter() - t0

        # Warm-up at the same rate, not measured: the server's connection pool grows to its working
        # size, the client's 64 connections open, and the full GCs after 1,000 connects run.
        warm = int(rate * warmup)
        await steady(0, warm, record=False)
        total = int(rate * seconds)
        gc.collect()
        gc.freeze()  # the client's own full collections (1,000 sockets) would show up as latency
        cpu0 = server_cpu(srv)
        wall = await steady(warm, total, record=True)
        cpu = server_cpu(srv) - cpu0
        for s in socks:
            await s.close()
    return {
        "test": "b", "sockets": sockets, "target_rate": rate, "warmup_s": warmup,
        "achieved_rate": round(total / wall, 1), "sent": total, "lost_or_failed": lost,
        "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
        "p99_ms": round(pct(lat, 99), 1),
        "server_cpu_ms_per_msg": round(cpu * 1000 / max(total, 1), 2), "server_cores_busy": round(cpu / wall, 2),
        "max_ms_by_second": [round(max(v)) for _, v in sorted(by_second.items())],
    }


async def bench_c(
    srv: Server, participants: int, rounds: int, settle: float = 0.0, wait_quiet: bool = True
) -> dict[str, Any]:
    members = [f"c{RUN}m{i}" for i in range(participants)]
    (did,) = await setup_dialogs(srv, [members])
    t0 = time.perf_counter()
    socks = await connect_many(srv.base.replace("http", "ws"), members)
    connect_s = time.perf_counter() - t0
    receivers = socks[1:]
    # Connecting N members of one dialog means a presence.update to every co-member already
    # online: ~N^2/2 frames (that is the protocol). Measure the fan-out once they have arrived.
    drain_s, presence_frames = await drain(socks) if wait_quiet else (0.0, 0)
    await asyncio.sleep(settle)
    gc.collect()
    gc.freeze()  # the client's full collections over its 1,000 sockets took 100-130 ms: not the server's time
    async with HttpPool(srv.base, 1) as client:
        last_ms: list[float] = []
        all_ms: list[float] = []
        for r in range(rounds):
            marker = f"mk-c-{r}"
            futs = [s.wait_for(marker) for s in receivers]
            t = time.perf_counter()
            code = await client.send(did, members[0], marker)
            assert code == 201, code
            got = await asyncio.wait_for(asyncio.gather(*futs), 30)
            times = [(g - t) * 1000 for g in got]
            all_ms.extend(times)
            last_ms.append(max(times))
            await asyncio.sleep(0.05)
        for s in socks:
            await s.close()
    return {
        "test": "c", "participants": participants, "rounds": rounds, "connect_s": round(connect_s, 1),
        "presence_drain_s": round(drain_s, 1), "presence_frames": presence_frames,
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
    ap.add_argument("--warmup", type=float, default=2.0, help="(b): seconds at the rate before measuring")
    ap.add_argument("--settle", type=float, default=0.0, help="(c): extra seconds to wait after connecting")
    ap.add_argument(
        "--no-drain", action="store_true", help="(c): start the rounds right after connecting (presence storm)"
    )
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=1, help="(a)-(c): `mtchat serve --workers` (d is one process)")
    ap.add_argument("--redis", default=REDIS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    global DATABASE
    DATABASE = args.db
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    nofile = hard
    idle = min(args.idle, hard - 500)
    await create_database(args.db)
    from common import db_dsn

    await migrate(db_dsn(args.db))
    only = set(args.only.split(","))
    results = []
    workers = {"WEB_CONCURRENCY": str(args.workers)}
    with Server(args.db, redis_url=args.redis, nofile=nofile, extra_env=workers) as srv:
        if "a" in only:
            results.append({**await bench_a(srv, args.seconds, args.senders), "workers": args.workers})
            print(json.dumps(results[-1]), flush=True)
        if "b" in only:
            result = await bench_b(srv, args.sockets, args.rate, args.seconds, args.warmup)
            results.append({**result, "workers": args.workers})
            print(json.dumps(results[-1]), flush=True)
        if "c" in only:
            result = await bench_c(srv, args.fanout, args.rounds, args.settle, not args.no_drain)
            results.append({**result, "workers": args.workers})
            print(json.dumps(results[-1]), flush=True)
    if "d" in only:
        # fresh process so (a)-(c) leave nothing behind in its heap
        with Server(args.db, redis_url=args.redis, nofile=nofile, extra_env={"WEB_CONCURRENCY": "1"}) as srv:
            results.append(await bench_d(srv, idle))
            print(json.dumps(results[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(amain())
