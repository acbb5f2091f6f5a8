"""Scale-out (SPEC §3, §5.4): two `mtchat serve` OS processes on one PostgreSQL database and one
Redis behave as one service. A message sent through process A reaches a socket held by process B,
presence crosses processes, and fan-out comes back by itself after Redis is killed and restarted.

Each test gets its own redis-server on a free port (we kill it; the shared 6379 one is never
touched) and two real `python -m mtchat serve` processes; their logs go to files in the test's tmp
directory and are printed when a test fails (pytest shows teardown output only on failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from mtchat.events.realtime import MessageNew, PresenceUpdate
from mtchat.settings import Settings
from tests import conftest as harness
from tests.conftest import (
    ADMIN_SECRET,
    ADMIN_STATIC,
    JWT_SECRET,
    auth,
    create_dialog,
    free_port,
    uid,
    user_token,
)
from tests.integration.ws_helpers import assert_silent, next_event, open_ws

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        harness.test_db_kind() != "postgres",
        reason="scale-out (several processes sharing one database and Redis) is the PostgreSQL "
        "deployment; this runs in the MTCHAT_TEST_DB=postgres pass",
    ),
]

STARTUP_SECONDS = 90.0  # two cold Python processes + migrations on a loaded 2-core CI box
RESUME_SECONDS = 60.0  # subscriber backoff is capped at 5 s; generous for a busy machine
# How a process closes its sockets after its Redis subscription was interrupted (1012 Service Restart).
CLOSE_RESYNC = 1012


def _tail(path: Path, chars: int = 6000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@dataclass
class RedisServer:
    """A private redis-server on a fixed port that the test may kill and start again."""

    binary: str
    port: int
    log_path: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.procs[-1]

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        deadline = time.monotonic() + 20
        while not self._answers():
            assert proc.poll() is None, f"redis-server exited:\n{_tail(self.log_path)}"
            assert time.monotonic() < deadline, f"redis-server did not answer:\n{_tail(self.log_path)}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, nothing saved (like a crashed or replaced node)."""
        _stop(self.proc, kill=True)

    def _answers(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


@dataclass
class ServeProcess:
    name: str
    url: str
    log_path: Path
    proc: subprocess.Popen[bytes]

    def log(self) -> str:
        return _tail(self.log_path)

    def assert_running(self) -> None:
        assert self.proc.poll() is None, f"mtchat serve {self.name} exited ({self.proc.returncode}):\n{self.log()}"


def _serve_env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    # Start from a clean slate for every setting so nothing from the caller's shell leaks in.
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MTCHAT_DATA_DIR=str(data_dir),
        JWT_SECRET=JWT_SECRET,
        ADMIN_JWT_SECRET=ADMIN_SECRET,
        ADMIN_API_TOKEN=ADMIN_STATIC,
        RATE_LIMIT_PER_MINUTE="100000",
        ARCHIVE_AFTER_SECONDS="0",
        LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
    )
    return env


def _spawn(name: str, env: dict[str, str], tmp_path: Path) -> ServeProcess:
    port = free_port()
    log_path = tmp_path / f"serve-{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mtchat", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "MTCHAT_DATA_DIR": str(tmp_path / f"data-{name}")},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return ServeProcess(name, f"http://127.0.0.1:{port}", log_path, proc)


def _wait_ready(server: ServeProcess, deadline: float) -> None:
    last = "no answer yet"
    while True:
        server.assert_running()
        try:
            resp = httpx.get(f"{server.url}/health/ready", timeout=5)
            if resp.status_code == 200 and resp.json()["checks"] == {"database": "ok", "redis": "ok"}:
                return
            last = f"{resp.status_code} {resp.text}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        if time.monotonic() > deadline:
            raise AssertionError(f"mtchat serve {server.name} not ready ({last}):\n{server.log()}")
        time.sleep(0.2)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("the PostgreSQL pass needs the redis-server binary (scale-out tests run their own)")
    server = RedisServer(binary, free_port(), tmp_path / "redis.log")
    try:
        server.start()
        yield server
    finally:
        for proc in server.procs:
            _stop(proc, kill=True)


@pytest.fixture
def serve_pair(
    database_url: str, redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Processes A and B, started together (they migrate the shared database one after another)."""
    env = _serve_env(database_url, redis_server.url, tmp_path)
    started: list[ServeProcess] = []
    try:
        for name in ("A", "B"):  # appended one by one: teardown stops whatever did start
            started.append(_spawn(name, env, tmp_path))  # noqa: PERF401
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in started:
            _wait_ready(server, deadline)
        a, b = started
        yield a, b
    finally:
        for server in started:
            _stop(server.proc)
        # Captured by pytest and shown only when the test failed.
        for server in started:
            print(f"----- mtchat serve {server.name} ({server.url}) log tail -----\n{server.log()}")
        print(f"----- redis-server log tail -----\n{_tail(redis_server.log_path)}")


async def _send(http: httpx.AsyncClient, dialog_id: str, user: str, content: str) -> dict[str, Any]:
    resp = await http.post(
        f"/api/v1/dialogs/{dialog_id}/messages", json={"content": content}, headers=auth(user_token(user))
    )
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def _message_new(ws: ClientConnection, message_id: str, timeout: float = 15.0) -> dict[str, Any]:
    event = await next_event(ws, "message.new", timeout=timeout)
    MessageNew.model_validate(event)
    assert event["message"]["id"] == message_id, event
    return event


async def _history_after(http: httpx.AsyncClient, dialog_id: str, user: str, after: str) -> list[dict[str, Any]]:
    """Everything after ``after``, paging until ``has_more_after`` is false (the SDK's catch-up)."""
    messages: list[dict[str, Any]] = []
    while True:
        resp = await http.get(
            f"/api/v1/dialogs/{dialog_id}/messages",
            params={"after": after, "limit": 10},
            headers=auth(user_token(user)),
        )
        assert resp.status_code == 200, resp.text
        page = resp.json()["data"]
        messages += page["messages"]
        if not page["has_more_after"]:
            return messages
        after = messages[-1]["id"]


class Follower:
    """One user's client of one dialog on one process, behaving like the SDK: it keeps a socket,
    and whenever the server closes it, reconnects and catches up with ``after=<last seen>``."""

    def __init__(self, server: ServeProcess, http: httpx.AsyncClient, dialog_id: str, user: str) -> None:
        self.server, self.http, self.dialog_id, self.user = server, http, dialog_id, user
        self.timeline: dict[str, dict[str, Any]] = {}
        self.socket_ids: list[str] = []  # message ids in the order sockets delivered them
        self.close_codes: list[int | None] = []
        self.last_seen: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, last_seen: str) -> None:
        self.last_seen = last_seen
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def has(self, message_id: str) -> bool:
        return message_id in self.timeline

    def _add(self, message: dict[str, Any]) -> None:
        self.timeline[message["id"]] = message
        self.last_seen = message["id"]

    async def _run(self) -> None:
        while True:
            ws = await open_ws(self.server.url, user_token(self.user))
            if self.close_codes:  # a reconnect: fetch what the old socket may have missed
                assert self.last_seen is not None
                for m in await _history_after(self.http, self.dialog_id, self.user, self.last_seen):
                    self._add(m)
            try:
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame.get("type") == "message.new" and frame.get("dialog_id") == self.dialog_id:
                        MessageNew.model_validate(frame)
                        self.socket_ids.append(frame["message"]["id"])
                        self._add(frame["message"])
            except ConnectionClosed:
                pass
            finally:
                await ws.close()
            self.close_codes.append(ws.close_code)


async def _until(condition: Callable[[], bool], seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_message_and_presence_cross_processes(serve_pair: tuple[ServeProcess, ServeProcess]) -> None:
    a, b = serve_pair
    alice, bob, outsider = uid("alice"), uid("bob"), uid("out")
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as http_b,
    ):
        dialog = await create_dialog(http_a, participants=[alice, bob])
        ws_bob = await open_ws(b.url, user_token(bob))
        ws_out = await open_ws(b.url, user_token(outsider))
        try:
            # Presence: alice's socket is on A, her co-participant bob's on B.
            ws_alice = await open_ws(a.url, user_token(alice))
            event = await next_event(ws_bob, "presence.update", timeout=15, user_id=alice)
            assert PresenceUpdate.model_validate(event).is_online is True
            parts = await http_b.get(f"/api/v1/dialogs/{dialog['id']}/participants", headers=auth(user_token(bob)))
            assert parts.status_code == 200, parts.text
            assert {p["user_id"]: p["is_online"] for p in parts.json()["data"]} == {alice: True, bob: True}

            # A message written through A's REST API arrives on B's socket, exactly as A returned it.
            sent = await _send(http_a, dialog["id"], alice, "<p>across processes</p>")
            event = await _message_new(ws_bob, sent["id"])
            assert event["dialog_id"] == dialog["id"] and event["message"] == sent
            # Cross-process fan-out still goes to participants (and presence to co-participants) only.
            await assert_silent(ws_out, "message.new", "presence.update", wait=1.0)

            # alice's last socket closes on A: bob on B sees her go offline.
            await ws_alice.close()
            event = await next_event(ws_bob, "presence.update", timeout=15, user_id=alice)
            assert PresenceUpdate.model_validate(event).is_online is False
        finally:
            await ws_bob.close()
            await ws_out.close()
    a.assert_running()
    b.assert_running()


async def test_delivery_resumes_after_redis_restart(
    serve_pair: tuple[ServeProcess, ServeProcess], redis_server: RedisServer
) -> None:
    a, b = serve_pair
    pids = (a.proc.pid, b.proc.pid)
    alice, bob = uid("alice"), uid("bob")
    loop = asyncio.get_running_loop()
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as http_b,
    ):
        dialog = await create_dialog(http_a, participants=[alice, bob])
        ws_bob = await open_ws(b.url, user_token(bob))
        try:
            first = await _send(http_a, dialog["id"], alice, "before the restart")
            await _message_new(ws_bob, first["id"])
        finally:
            await ws_bob.close()
        # bob's client on B from here on, as the SDK would run it.
        follower = Follower(b, http_b, dialog["id"], bob)
        follower.start(last_seen=first["id"])
        try:
            second = await _send(http_a, dialog["id"], alice, "still before the restart")
            assert await _until(lambda: follower.has(second["id"]), 15), "follower never got a live message"

            redis_server.kill()
            deadline = loop.time() + 30
            while (ready := await http_b.get("/health/ready")).status_code != 503:
                assert loop.time() < deadline, f"B still reports ready with Redis gone: {ready.text}"
                await asyncio.sleep(0.2)
            assert ready.json()["checks"]["database"] == "ok"
            assert ready.json()["checks"]["redis"].startswith("error")
            # The write path does not depend on Redis: the message is committed, fan-out degrades.
            during = await _send(http_a, dialog["id"], alice, "while Redis is down")

            redis_server.start()  # same port, empty: no subscriptions, no presence keys
            # Neither mtchat process is restarted: they reconnect to Redis by themselves.
            deadline = loop.time() + RESUME_SECONDS
            probes: list[str] = []
            while True:
                a.assert_running()
                b.assert_running()
                assert loop.time() < deadline, f"no A→B delivery within {RESUME_SECONDS}s of Redis restarting"
                probes.append((await _send(http_a, dialog["id"], alice, "probe"))["id"])
                if await _until(lambda: follower.has(probes[-1]), 1.0):
                    break
            # Resumed for good: the next message arrives on the socket promptly; B is ready again.
            after = await _send(http_a, dialog["id"], alice, "after the restart")
            assert await _until(lambda: after["id"] in follower.socket_ids, 15), "no live delivery after the restart"
            assert (await http_b.get("/health/ready")).status_code == 200

            # No message is lost or doubled for the client across the outage, with no catch-up
            # beyond what the SDK does on its own: the server told B's sockets to reconnect.
            expected = [second["id"], during["id"], *probes, after["id"]]
            history = [m["id"] for m in await _history_after(http_b, dialog["id"], bob, first["id"])]
            assert history == expected
            assert sorted(follower.timeline) == expected, {i: m["content"] for i, m in follower.timeline.items()}
            assert follower.close_codes and set(follower.close_codes) == {CLOSE_RESYNC}, follower.close_codes
            assert len(follower.socket_ids) == len(set(follower.socket_ids)), "a socket delivered a message twice"

            # Presence works again across processes (the hub re-announced itself to the new Redis).
            ws_bob = await open_ws(b.url, user_token(bob))
            ws_alice = await open_ws(a.url, user_token(alice))
            try:
                event = await next_event(ws_bob, "presence.update", timeout=15, user_id=alice)
                assert event["is_online"] is True
            finally:
                await ws_alice.close()
                await ws_bob.close()
        finally:
            await follower.stop()
    assert (a.proc.pid, b.proc.pid) == pids
    a.assert_running()
    b.assert_running()
