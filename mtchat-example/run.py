"""Run the MTChat demo: `mtchat serve` (embedded default, :8080) + the demo host backend (:8090).

Usage (from the repository root): .venv/bin/python mtchat-example/run.py
The Vite app must be built first (`npm run build` in mtchat-example; `make demo` does it).
Stops both processes on Ctrl-C / SIGTERM. Env overrides: MTCHAT_PORT, DEMO_PORT, MTCHAT_DATA_DIR,
JWT_SECRET, ADMIN_API_TOKEN, WEBHOOK_SECRET.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MTCHAT_PORT = int(os.environ.get("MTCHAT_PORT", "8080"))
DEMO_PORT = int(os.environ.get("DEMO_PORT", "8090"))
MTCHAT_URL = f"http://127.0.0.1:{MTCHAT_PORT}"
DEMO_URL = f"http://127.0.0.1:{DEMO_PORT}"

SECRETS = {
    "JWT_SECRET": os.environ.get("JWT_SECRET", "demo-user-secret-change-me-0123456789abcdef"),
    "ADMIN_API_TOKEN": os.environ.get("ADMIN_API_TOKEN", "demo-admin-token"),
    "WEBHOOK_SECRET": os.environ.get("WEBHOOK_SECRET", "demo-webhook-secret"),
}


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


# A few dialogs of the seed's scenario, so the lists are not empty on first start (idempotent).
SEED = [
    ("tender", "tender-uuid-456", "Тендер #4567: Москва → Казань",
     [("user-1", "Анна Логистова", "TRUCKER Logistics")]),
    ("order", "order-789", "Заказ #789",
     [("user-2", "Борис Перевозов", "Cargo Carrier LLC"), ("user-3", "Вера Менеджерова", "TRUCKER Logistics")]),
]
SEED_SCOPE = {"tenant_uid": "tenant-abc", "scope_level1": ["dept_logistics"],
              "scope_level2": ["tender:manager", "tender:admin"]}


def seed() -> None:
    headers = {"Authorization": f"Bearer {SECRETS['ADMIN_API_TOKEN']}"}
    with httpx.Client(base_url=MTCHAT_URL, headers=headers, timeout=10) as client:
        for object_type, object_id, title, people in SEED:
            params = {"object_type": object_type, "object_id": object_id}
            found = client.get("/api/v1/management/dialogs", params=params)
            if found.status_code == 200 and found.json().get("data"):
                continue
            client.post(
                "/api/v1/management/dialogs",
                json={"object_type": object_type, "object_id": object_id, "title": title,
                      "participants": [{"user_id": u, "display_name": n, "company": c} for u, n, c in people],
                      "access_scopes": [SEED_SCOPE]},
                headers={"Idempotency-Key": f"demo-{object_id}"},
            ).raise_for_status()


def port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    if not (HERE / "dist" / "index.html").is_file():
        print("mtchat-example/dist is missing: run `npm ci && npm run build` in mtchat-example", file=sys.stderr)
        return 1
    busy = [p for p in (MTCHAT_PORT, DEMO_PORT) if port_busy(p)]
    if busy:
        print(f"mtchat demo: port(s) {busy} already in use (another demo running?)", file=sys.stderr)
        return 1
    data_dir = os.environ.get("MTCHAT_DATA_DIR", str(ROOT / ".mtchat" / "demo"))
    mtchat_env = {
        **os.environ,
        **SECRETS,
        "MTCHAT_DEV": "true",
        "MTCHAT_DATA_DIR": data_dir,
        "WEBHOOK_URL": f"{DEMO_URL}/webhooks/mtchat",
        "CORS_ALLOWED_ORIGINS": f"{DEMO_URL},http://localhost:{DEMO_PORT},http://127.0.0.1:5173,http://localhost:5173",
        "NOTIFICATION_DELAY_SECONDS": os.environ.get("NOTIFICATION_DELAY_SECONDS", "30"),
    }
    host_env = {**os.environ, **SECRETS, "MTCHAT_URL": MTCHAT_URL}
    procs: list[subprocess.Popen[bytes]] = []

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        host = subprocess.Popen(  # noqa: S603 - our own app from this venv
            [sys.executable, "-m", "uvicorn", "host.app:app", "--host", "127.0.0.1", "--port", str(DEMO_PORT),
             "--log-level", "warning"],
            cwd=HERE, env=host_env,
        )
        procs.append(host)
        server = subprocess.Popen(  # noqa: S603 - our own CLI from this venv
            [sys.executable, "-m", "mtchat", "serve", "--host", "127.0.0.1", "--port", str(MTCHAT_PORT)],
            env=mtchat_env,
        )
        procs.append(server)
        if not wait_ready(f"{DEMO_URL}/health", host):
            print("mtchat demo: the host backend did not start", file=sys.stderr)
            return 1
        if not wait_ready(f"{MTCHAT_URL}/health/ready", server):
            print("mtchat demo: the MTChat server did not start", file=sys.stderr)
            return 1
        seed()
        print(f"\nMTChat demo is ready: {DEMO_URL}\n", flush=True)
        print(f"  MTChat API:  {MTCHAT_URL}  (docs: {MTCHAT_URL}/docs)")
        print(f"  Host app:    {DEMO_URL}  (tenders, chats, admin panel, webhook inbox)")
        print(f"  Data dir:    {data_dir}")
        print("  Stop with Ctrl-C.\n", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("mtchat demo: a process exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in reversed(procs):
            stop(p)


if __name__ == "__main__":
    raise SystemExit(main())
