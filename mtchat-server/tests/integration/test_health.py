from __future__ import annotations

import httpx


async def test_health_and_ready(http: httpx.AsyncClient) -> None:
    resp = await http.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    ready = await http.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_unknown_route_uses_error_envelope(http: httpx.AsyncClient) -> None:
    resp = await http.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "NOT_FOUND"


async def test_openapi_served(http: httpx.AsyncClient) -> None:
    resp = await http.get("/openapi.json")
    assert resp.status_code == 200
    assert resp.json()["info"]["title"] == "MTChat"
