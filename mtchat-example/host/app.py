"""MTChat demo host backend: the "TMS" side of the seed's scenario.

It is what a real host application's backend does for MTChat, and nothing more:
- holds the secrets (admin token for the Management API, JWT secret for user tokens, webhook secret);
- mints short-lived user tokens for the signed-in user (the browser never sees a secret);
- "Связаться с организатором": finds or creates the tender's dialog through the Management API;
- proxies a tiny admin panel (create dialog, add/remove participant);
- receives webhooks, verifies their signature with ``mtchat.webhooks.verify`` and keeps the last 200.

Run: ``uvicorn host.app:app --port 8090`` from mtchat-example/ (``run.py`` does it for you).
Environment: MTCHAT_URL, ADMIN_API_TOKEN, JWT_SECRET, WEBHOOK_SECRET, MTCHAT_PUBLIC_URL (what the
browser uses to reach MTChat; defaults to MTCHAT_URL).
"""

from __future__ import annotations

import collections
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from mtchat.webhooks import verify
from pydantic import BaseModel, Field

MTCHAT_URL = os.environ.get("MTCHAT_URL", "http://127.0.0.1:8080").rstrip("/")
MTCHAT_PUBLIC_URL = os.environ.get("MTCHAT_PUBLIC_URL", MTCHAT_URL).rstrip("/")
ADMIN_API_TOKEN = os.environ.get("ADMIN_API_TOKEN", "demo-admin-token")
JWT_SECRET = os.environ.get("JWT_SECRET", "demo-user-secret-change-me-0123456789abcdef")
WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "demo-webhook-secret")
TOKEN_TTL_SECONDS = int(os.environ.get("DEMO_TOKEN_TTL_SECONDS", "3600"))
DIST = Path(os.environ.get("DEMO_DIST_DIR", Path(__file__).resolve().parent.parent / "dist"))

# Demo users of two tenants with different scopes (the same people as scripts/demo.py, plus a few).
USERS: list[dict[str, Any]] = [
    {"id": "user-1", "name": "Анна Логистова", "company": "TRUCKER Logistics", "tenant_uid": "tenant-abc",
     "scope_level1": ["dept_logistics"], "scope_level2": ["tender:manager"], "role": "Организатор тендеров"},
    {"id": "user-3", "name": "Вера Менеджерова", "company": "TRUCKER Logistics", "tenant_uid": "tenant-abc",
     "scope_level1": ["dept_logistics"], "scope_level2": ["tender:admin"], "role": "Администратор тендеров"},
    {"id": "user-4", "name": "Григорий Продажин", "company": "TRUCKER Logistics", "tenant_uid": "tenant-abc",
     "scope_level1": ["dept_sales"], "scope_level2": ["tender:viewer"], "role": "Отдел продаж (вне scope)"},
    {"id": "user-2", "name": "Борис Перевозов", "company": "Cargo Carrier LLC", "tenant_uid": "tenant-xyz",
     "scope_level1": [], "scope_level2": [], "role": "Перевозчик"},
    {"id": "user-5", "name": "Дарья Экспедиторова", "company": "Fast Freight", "tenant_uid": "tenant-xyz",
     "scope_level1": [], "scope_level2": [], "role": "Перевозчик"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}

TENDERS: list[dict[str, Any]] = [
    {"id": "tender-uuid-123", "number": "1234", "title": "Обсуждение тендера #1234",
     "route": "Москва → Санкт-Петербург",
     "cargo": "Паллеты, 20 т", "date": "2026-12-05", "price": "185 000 ₽", "organizer_id": "user-1"},
    {"id": "tender-uuid-456", "number": "4567", "title": "Тендер #4567: Москва → Казань", "route": "Москва → Казань",
     "cargo": "Рефрижератор, 12 т", "date": "2026-12-08", "price": "142 000 ₽", "organizer_id": "user-1"},
    {"id": "tender-uuid-789", "number": "7890", "title": "Тендер #7890: Екатеринбург → Новосибирск",
     "route": "Екатеринбург → Новосибирск", "cargo": "Негабарит, 35 т", "date": "2026-12-12", "price": "410 000 ₽",
     "organizer_id": "user-3"},
]
TENDERS_BY_ID = {t["id"]: t for t in TENDERS}

WEBHOOKS: collections.deque[dict[str, Any]] = collections.deque(maxlen=200)
REJECTED = {"count": 0}

app = FastAPI(title="MTChat demo host", docs_url="/api/docs", openapi_url="/api/openapi.json")


def _admin() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=MTCHAT_URL, headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"}, timeout=15
    )


def _profile(user_id: str) -> dict[str, Any]:
    user = USERS_BY_ID.get(user_id)
    if user is None:
        return {"user_id": user_id}
    return {"user_id": user_id, "display_name": user["name"], "company": user["company"]}


def _current_user(request: Request) -> dict[str, Any]:
    # A demo "session": the browser says who it is signed in as. A real host uses its own auth here.
    user_id = request.headers.get("X-Demo-User", "")
    user = USERS_BY_ID.get(user_id)
    if user is None:
        raise HTTPException(401, "pick a user first (X-Demo-User)")
    return user


async def _forward(response: httpx.Response) -> JSONResponse:
    if response.status_code == 204:
        return JSONResponse({"data": None}, status_code=200)
    try:
        body = response.json()
    except ValueError:
        body = {"error": {"code": "UPSTREAM", "message": response.text[:500]}}
    return JSONResponse(body, status_code=response.status_code)


def _scope_of(user: dict[str, Any]) -> dict[str, Any]:
    """The access scope that lets the organizer's colleagues (same tenant and department) see the chat."""
    return {"tenant_uid": user["tenant_uid"], "scope_level1": list(user["scope_level1"]),
            "scope_level2": ["tender:manager", "tender:admin"]}


@app.get("/api/config")
async def config() -> dict[str, Any]:
    return {"data": {"mtchat_url": MTCHAT_PUBLIC_URL}}


@app.get("/api/users")
async def users() -> dict[str, Any]:
    return {"data": USERS}


class SessionIn(BaseModel):
    user_id: str


@app.post("/api/session")
async def session(body: SessionIn) -> dict[str, Any]:
    user = USERS_BY_ID.get(body.user_id)
    if user is None:
        raise HTTPException(404, "unknown user")
    now = int(time.time())
    claims = {
        "sub": user["id"], "iat": now, "exp": now + TOKEN_TTL_SECONDS, "tenant_uid": user["tenant_uid"],
        "scope_level1": user["scope_level1"], "scope_level2": user["scope_level2"],
        "name": user["name"], "company": user["company"],
    }
    token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    return {"data": {"token": token, "expires_at": claims["exp"], "user": user, "mtchat_url": MTCHAT_PUBLIC_URL}}


@app.get("/api/tenders")
async def tenders() -> dict[str, Any]:
    return {"data": [{**t, "organizer": _profile(t["organizer_id"])} for t in TENDERS]}


@app.get("/api/tenders/{tender_id}")
async def tender(tender_id: str) -> dict[str, Any]:
    t = TENDERS_BY_ID.get(tender_id)
    if t is None:
        raise HTTPException(404, "no such tender")
    return {"data": {**t, "organizer": _profile(t["organizer_id"])}}


@app.post("/api/tenders/{tender_id}/contact")
async def contact_organizer(tender_id: str, request: Request) -> JSONResponse:
    """The seed's sequence: find the dialog for (tender, these scopes) or create it, then open it."""
    t = TENDERS_BY_ID.get(tender_id)
    if t is None:
        raise HTTPException(404, "no such tender")
    me = _current_user(request)
    organizer = USERS_BY_ID[t["organizer_id"]]
    if me["id"] == organizer["id"]:  # the organizer has nobody to contact
        raise HTTPException(400, "you are the organizer of this tender")
    # One dialog per (tender, counterpart): the object id carries the counterpart's tenant.
    scopes = [_scope_of(organizer)]
    object_type = "tender"
    async with _admin() as client:
        # 1. Find: the Management API's find-or-create lookup (object + exact scope set).
        found = await client.post(
            "/api/v1/management/dialogs/search",
            json={"object_id": t["id"], "object_type": object_type, "access_scopes": scopes},
        )
        if found.status_code >= 500 or found.status_code in (401, 403):
            return await _forward(found)
        candidates = []
        if found.status_code == 200 and found.json().get("data"):
            candidates.append(found.json()["data"])
        # Several carriers may talk to the same organizer about one tender: each gets their own dialog,
        # so also look at the tender's other dialogs for the one this user is in.
        params = {"object_type": object_type, "object_id": t["id"]}
        listed = await client.get("/api/v1/management/dialogs", params=params)
        if listed.status_code == 200:
            candidates += listed.json().get("data") or []
        seen: set[str] = set()
        for d in candidates:
            if d["id"] in seen:
                continue
            seen.add(d["id"])
            detail = await client.get(f"/api/v1/management/dialogs/{d['id']}")
            if detail.status_code != 200:
                continue
            ids = {p.get("user_id") for p in detail.json()["data"].get("participants", [])}
            if me["id"] in ids:
                return JSONResponse({"data": {"dialog_id": d["id"], "created": False}})
        # 2. Create, idempotently: a double click gives the same dialog.
        created = await client.post(
            "/api/v1/management/dialogs",
            json={
                "object_id": t["id"], "object_type": object_type, "title": t["title"],
                "object_url": f"/tenders/{t['id']}",
                "meta": {"route": t["route"], "price": t["price"]},
                "participants": [_profile(organizer["id"]), _profile(me["id"])],
                "access_scopes": scopes,
            },
            headers={"Idempotency-Key": f"contact-{t['id']}-{me['id']}"},
        )
        if created.status_code >= 400:
            return await _forward(created)
        return JSONResponse({"data": {"dialog_id": created.json()["data"]["id"], "created": True}})


# --- admin panel (proxies the Management API; a real host would check the admin's rights here) ---


class ScopeIn(BaseModel):
    tenant_uid: str
    scope_level1: list[str] = Field(default_factory=list)
    scope_level2: list[str] = Field(default_factory=list)


class DialogIn(BaseModel):
    object_id: str
    object_type: str = "tender"
    title: str | None = None
    participants: list[str] = Field(default_factory=list)
    access_scopes: list[ScopeIn] = Field(default_factory=list)


class ParticipantIn(BaseModel):
    user_id: str


# The Management API lists dialogs per object; the demo remembers which objects it has seen.
KNOWN_OBJECTS: dict[tuple[str, str], None] = {("tender", t["id"]): None for t in TENDERS}
KNOWN_OBJECTS[("order", "order-789")] = None


@app.get("/api/admin/dialogs")
async def admin_list(object_type: str | None = None, object_id: str | None = None) -> JSONResponse:
    objects = [(object_type or "tender", object_id)] if object_id else [
        k for k in KNOWN_OBJECTS if object_type in (None, "", k[0])
    ]
    result: list[dict[str, Any]] = []
    async with _admin() as client:
        for otype, oid in objects:
            r = await client.get("/api/v1/management/dialogs", params={"object_type": otype, "object_id": oid})
            if r.status_code != 200:
                return await _forward(r)
            result += r.json().get("data") or []
    return JSONResponse({"data": result})


@app.get("/api/admin/dialogs/{dialog_id}")
async def admin_get(dialog_id: str) -> JSONResponse:
    async with _admin() as client:
        return await _forward(await client.get(f"/api/v1/management/dialogs/{dialog_id}"))


@app.post("/api/admin/dialogs")
async def admin_create(body: DialogIn) -> JSONResponse:
    KNOWN_OBJECTS[(body.object_type, body.object_id)] = None
    async with _admin() as client:
        return await _forward(
            await client.post(
                "/api/v1/management/dialogs",
                json={
                    "object_id": body.object_id, "object_type": body.object_type, "title": body.title,
                    "participants": [_profile(u) for u in body.participants],
                    "access_scopes": [s.model_dump() for s in body.access_scopes],
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        )


@app.post("/api/admin/dialogs/{dialog_id}/participants")
async def admin_add(dialog_id: str, body: ParticipantIn) -> JSONResponse:
    async with _admin() as client:
        return await _forward(
            await client.post(f"/api/v1/management/dialogs/{dialog_id}/participants", json=_profile(body.user_id))
        )


@app.delete("/api/admin/dialogs/{dialog_id}/participants/{user_id}")
async def admin_remove(dialog_id: str, user_id: str) -> JSONResponse:
    async with _admin() as client:
        return await _forward(await client.delete(f"/api/v1/management/dialogs/{dialog_id}/participants/{user_id}"))


@app.delete("/api/admin/dialogs/{dialog_id}")
async def admin_delete(dialog_id: str) -> JSONResponse:
    async with _admin() as client:
        return await _forward(await client.delete(f"/api/v1/management/dialogs/{dialog_id}"))


# --- webhooks ---


@app.post("/webhooks/mtchat")
async def webhook(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        verify(body, dict(request.headers), WEBHOOK_SECRET)
    except Exception as exc:  # noqa: BLE001 - any failure means "not genuine"
        REJECTED["count"] += 1
        return JSONResponse({"error": {"code": "BAD_SIGNATURE", "message": str(exc)}}, status_code=401)
    try:
        import json

        event = json.loads(body)
    except ValueError:
        return JSONResponse({"error": {"code": "INVALID_INPUT", "message": "not JSON"}}, status_code=400)
    if not any(e.get("id") == event.get("id") for e in WEBHOOKS):  # at-least-once: drop duplicates
        WEBHOOKS.appendleft({**event, "received_at": time.time(), "verified": True})
    return JSONResponse({"ok": True})


@app.get("/api/webhooks")
async def webhooks() -> dict[str, Any]:
    return {"data": list(WEBHOOKS), "rejected": REJECTED["count"]}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


# --- the built Vite app (SPA: unknown paths fall back to index.html) ---

if (DIST / "assets").is_dir():
    app.mount("/assets", StaticFiles(directory=DIST / "assets"), name="assets")


@app.get("/{path:path}", include_in_schema=False, response_model=None)
async def spa(path: str) -> FileResponse | JSONResponse:
    if path.startswith("api/") or path.startswith("webhooks/"):
        return JSONResponse({"error": {"code": "NOT_FOUND", "message": path}}, status_code=404)
    candidate = (DIST / path).resolve()
    if path and candidate.is_file() and DIST.resolve() in candidate.parents:
        return FileResponse(candidate)
    index = DIST / "index.html"
    if not index.is_file():
        return JSONResponse({"error": {"code": "NOT_BUILT", "message": "run `npm run build` in mtchat-example"}}, 503)
    return FileResponse(index)
