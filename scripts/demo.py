"""`make demo`: run MTChat on the embedded default (SQLite, in-process fan-out, local files),
seed a few dialogs of the seed's TMS scenario through the Management API, print tokens, keep serving.
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

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("PORT", "8080"))
BASE = f"http://127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "MTCHAT_DEV": "true",
    "JWT_SECRET": os.environ.get("JWT_SECRET", "demo-user-secret-change-me-0123456789abcdef"),
    "ADMIN_API_TOKEN": os.environ.get("ADMIN_API_TOKEN", "demo-admin-token"),
    "MTCHAT_DATA_DIR": os.environ.get("MTCHAT_DATA_DIR", str(ROOT / ".mtchat" / "demo")),
}
USERS = [
    ("user-1", "Анна Логистова", "TRUCKER Logistics", "tenant-abc", ["dept_logistics"], ["tender:manager"]),
    ("user-2", "Борис Перевозов", "Cargo Carrier LLC", "tenant-xyz", [], []),
    ("user-3", "Вера Менеджерова", "TRUCKER Logistics", "tenant-abc", ["dept_logistics"], ["tender:admin"]),
]
DIALOGS = [
    ("tender-uuid-123", "Обсуждение тендера #1234", ["user-1", "user-2"]),
    ("tender-uuid-456", "Тендер #4567: Москва → Казань", ["user-1"]),
    ("order-789", "Заказ #789", ["user-2", "user-3"]),
]


def seed(admin: dict[str, str]) -> None:
    with httpx.Client(base_url=BASE, headers=admin, timeout=10) as client:
        for object_id, title, participants in DIALOGS:
            object_type = "order" if object_id.startswith("order") else "tender"
            found = client.get("/api/v1/management/dialogs", params={"object_type": object_type, "object_id": object_id})
            if found.status_code == 200 and found.json()["data"]:
                continue
            profiles = [
                {"user_id": u, "display_name": n, "company": c} for (u, n, c, *_rest) in USERS if u in participants
            ]
            client.post(
                "/api/v1/management/dialogs",
                json={
                    "object_type": object_type,
                    "object_id": object_id,
                    "title": title,
                    "participants": profiles,
                    "access_scopes": [
                        {"tenant_uid": "tenant-abc", "scope_level1": ["dept_logistics"],
                         "scope_level2": ["tender:manager", "tender:admin"]}
                    ],
                },
                headers={"Idempotency-Key": f"demo-{object_id}"},
            ).raise_for_status()


def main() -> int:
    server = subprocess.Popen(  # noqa: S603 - our own CLI from this venv
        [sys.executable, "-m", "mtchat", "serve", "--port", str(PORT)], env=ENV
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{BASE}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print("mtchat demo: server did not start", file=sys.stderr)
                return 1
            time.sleep(0.3)
        admin = {"Authorization": f"Bearer {ENV['ADMIN_API_TOKEN']}"}
        seed(admin)
        settings = Settings(jwt_secret=ENV["JWT_SECRET"])
        print(f"\nMTChat is running at {BASE}  (API docs: {BASE}/docs)\n")
        print(f"Admin token (Management API): {ENV['ADMIN_API_TOKEN']}\n")
        for user_id, name, company, tenant, l1, l2 in USERS:
            token = mint_user_token(
                settings, user_id, tenant_uid=tenant, scope_level1=l1, scope_level2=l2, name=name, company=company
            )
            print(f"{user_id} ({name}, {tenant}):\n  {token}\n")
        print(f"Try: curl -H 'Authorization: Bearer <token>' '{BASE}/api/v1/dialogs?type=participating'")
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=15)


if __name__ == "__main__":
    raise SystemExit(main())
