"""kill -9 the server while webhook deliveries are pending: after a restart every event arrives."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_SECRET, ADMIN_STATIC, JWT_SECRET, auth, create_dialog, free_port, uid, user_token
from tests.integration.test_webhook_delivery import SECRET, Receiver

N = 20


def spawn_server(database_url: str, data_dir: Path, port: int, webhook_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MTCHAT_DATA_DIR": str(data_dir),
        "JWT_SECRET": JWT_SECRET,
        "ADMIN_API_TOKEN": ADMIN_STATIC,
        "ADMIN_JWT_SECRET": ADMIN_SECRET,
        "WEBHOOK_URL": webhook_url,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_POLL_SECONDS": "0.1",
        "RATE_LIMIT_PER_MINUTE": "100000",
        "LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mtchat", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as http:
        while True:
            assert proc.poll() is None, "server exited"
            try:
                if (await http.get(f"{url}/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server not ready"
            await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_kill_9_loses_no_webhook(database_url: str, tmp_path: Path) -> None:
    receiver_port = free_port()
    webhook_url = f"http://127.0.0.1:{receiver_port}/hooks"  # nothing listens yet: deliveries stay pending
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn_server(database_url, tmp_path, port, webhook_url)
    try:
        await wait_ready(url, proc)
        sender, other = uid("s"), uid("o")
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            dialog = await create_dialog(http, participants=[sender, other])
            for i in range(N):
                resp = await http.post(
                    f"/api/v1/dialogs/{dialog['id']}/messages",
                    json={"content": f"crash {i}"},
                    headers=auth(user_token(sender)),
                )
                assert resp.status_code == 201
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

        with Receiver(port=receiver_port) as receiver:
            proc = spawn_server(database_url, tmp_path, port, webhook_url)
            await wait_ready(url, proc)

            def delivered() -> set[str]:
                ids = set()
                for _h, body in list(receiver.requests):
                    env: dict[str, Any] = json.loads(body)
                    if env["event"] == "message.new" and env["data"]["dialog_id"] == dialog["id"]:
                        ids.add(env["data"]["message"]["id"])
                return ids

            deadline = time.monotonic() + 60  # retries back off; the first retry is due within ~1 s
            while len(delivered()) < N:
                assert time.monotonic() < deadline, f"only {len(delivered())} of {N} events arrived"
                await asyncio.sleep(0.2)
            assert len(delivered()) == N
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
