"""`mtchat demo`: the embedded default with demo data (SPEC §3).

In a repository checkout with the demo app built (`make demo` builds it), this runs the TMS demo of
`mtchat-example/` (MTChat + its host backend + the Vue app). Otherwise, or with ``--api-only``, it runs
the service alone on the embedded default, seeds a few dialogs of the seed's scenario through the
Management API and prints tokens for a curl walk-through. Development secrets only: never production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from mtchat.auth import mint_user_token
from mtchat.settings import Settings

DEV_SECRETS = {
    "JWT_SECRET": "demo-user-secret-change-me-0123456789abcdef",
    "ADMIN_API_TOKEN": "demo-admin-token",
}
USERS = [
    ("user-1", "Анна Логистова", "TRUCKER Logistics", "tenant-abc", ["dept_logistics"], ["tender:manager"]),
    ("user-2", "Борис Перевозов", "Cargo Carrier LLC", "tenant-xyz", [], []),
    ("user-3", "Вера Менеджерова", "TRUCKER Logistics", "tenant-abc", ["dept_logistics"], ["tender:admin"]),
]
DIALOGS = [
    ("tender", "tender-uuid-123", "Обсуждение тендера #1234", ["user-1", "user-2"]),
    ("tender", "tender-uuid-456", "Тендер #4567: Москва → Казань", ["user-1"]),
    ("order", "order-789", "Заказ #789", ["user-2", "user-3"]),
]
SCOPE = {
    "tenant_uid": "tenant-abc",
    "scope_level1": ["dept_logistics"],
    "scope_level2": ["tender:manager", "tender:admin"],
}


def demo_app_runner() -> Path | None:
    """`mtchat-example/run.py` of the checkout this package runs from, when its app is built."""
    root = Path(__file__).resolve().parents[3]
    run = root / "mtchat-example" / "run.py"
    return run if run.is_file() and (run.parent / "dist" / "index.html").is_file() else None


def seed(base: str, admin_token: str) -> None:
    """Idempotent: dialogs that exist (same object) are left alone."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10) as client:
        for object_type, object_id, title, members in DIALOGS:
            params = {"object_type": object_type, "object_id": object_id}
            found = client.get("/api/v1/management/dialogs", params=params)
            if found.status_code == 200 and found.json()["data"]:
                continue
            profiles = [{"user_id": u, "display_name": n, "company": c} for (u, n, c, *_rest) in USERS if u in members]
            client.post(
                "/api/v1/management/dialogs",
                json={"object_type": object_type, "object_id": object_id, "title": title,
                      "participants": profiles, "access_scopes": [SCOPE]},
                headers={"Idempotency-Key": f"demo-{object_id}"},
            ).raise_for_status()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def run_api_only(port: int, data_dir: str) -> int:
    secrets = {k: os.environ.get(k, v) for k, v in DEV_SECRETS.items()}
    env = {**os.environ, **secrets, "MTCHAT_DEV": "true", "MTCHAT_DATA_DIR": data_dir}
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 - this same program
        [sys.executable, "-m", "mtchat", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env
    )
    try:
        if not _wait_ready(base, server):
            print("mtchat demo: the server did not start", file=sys.stderr)
            return 1
        seed(base, secrets["ADMIN_API_TOKEN"])
        settings = Settings(jwt_secret=secrets["JWT_SECRET"])
        print(f"\nMTChat is running at {base}  (API docs: {base}/docs; data in {data_dir})\n")
        print(f"Admin token (Management API): {secrets['ADMIN_API_TOKEN']}\n")
        for user_id, name, company, tenant, l1, l2 in USERS:
            token = mint_user_token(
                settings, user_id, tenant_uid=tenant, scope_level1=l1, scope_level2=l2, name=name, company=company
            )
            print(f"{user_id} ({name}, {tenant}):\n  {token}\n")
        print(f"Try: curl -H 'Authorization: Bearer <token>' '{base}/api/v1/dialogs?type=participating'", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=15)


def main(*, port: int | None, api_only: bool, data_dir: str | None) -> int:
    port = port or int(os.environ.get("MTCHAT_PORT") or 8080)
    data_dir = data_dir or os.environ.get("MTCHAT_DATA_DIR") or str(Path.cwd() / ".mtchat" / "demo")
    runner = None if api_only else demo_app_runner()
    if runner is None:
        if not api_only:
            print("mtchat demo: the demo app (mtchat-example, built by `make demo`) is not here; "
                  "running the service with demo data only", file=sys.stderr)
        return run_api_only(port, data_dir)
    env = {**os.environ, "MTCHAT_PORT": str(port), "MTCHAT_DATA_DIR": data_dir}
    # Replace this process, so Ctrl-C and SIGTERM reach the demo's own process handling directly.
    os.execve(sys.executable, [sys.executable, str(runner)], env)  # noqa: S606 - our own script
