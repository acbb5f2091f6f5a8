"""Two `mtchat worker` processes share one outbox without sending any event twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ADMIN_STATIC, JWT_SECRET, RunningServer
from tests.integration.test_webhook_delivery import SECRET, Receiver, enqueue

N = 60


class SlowReceiver(Receiver):
    """Answers 200 after a pause, so both workers are busy at the same time."""

    def __init__(self) -> None:
        super().__init__()
        handler = self.httpd.RequestHandlerClass
        original = handler.do_POST  # type: ignore[attr-defined]

        def slow_post(inner: object) -> None:
            time.sleep(0.05)
            original(inner)

        handler.do_POST = slow_post  # type: ignore[attr-defined]
        self.threads: set[int] = set()


@pytest.mark.slow
async def test_two_workers_never_double_send(server: RunningServer, database_url: str, tmp_path: Path) -> None:
    # `server` has migrated the database; the workers share it.
    with SlowReceiver() as receiver:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MTCHAT_DATA_DIR": str(tmp_path),
            "JWT_SECRET": JWT_SECRET,
            "ADMIN_API_TOKEN": ADMIN_STATIC,
            "WEBHOOK_URL": receiver.url,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_POLL_SECONDS": "0.05",
            "ARCHIVE_AFTER_SECONDS": "0",
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "mtchat", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        try:
            await asyncio.sleep(1.0)  # both workers polling before the events appear
            ids = {str(i) for i in await enqueue(database_url, [("message.new", {"n": n}) for n in range(N)])}
            deadline = time.monotonic() + 60
            while True:
                with receiver.lock:
                    got = {k for k in receiver.seen if k in ids}
                if got == ids:
                    break
                for w in workers:
                    assert w.poll() is None, (w.stderr.read() if w.stderr else b"").decode()[-2000:]
                assert time.monotonic() < deadline, f"{len(got)} of {N} delivered"
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # a double send would show up now
            with receiver.lock:
                counts = Counter({k: v for k, v in receiver.seen.items() if k in ids})
            assert set(counts.values()) == {1}, counts.most_common(3)
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=15)
                if w.stderr:
                    w.stderr.close()
