"""Small WebSocket client helpers shared by the realtime tests (real sockets, real server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


def ws_url(http_url: str, token: str) -> str:
    return http_url.replace("http://", "ws://", 1) + f"/api/v1/ws?token={token}"


async def open_ws(http_url: str, token: str) -> ClientConnection:
    """Connect and consume the `connected` frame (asserting it comes first)."""
    ws = await connect(ws_url(http_url, token), open_timeout=10)
    first = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert first["type"] == "connected", first
    return ws


async def next_event(ws: ClientConnection, type_: str, *, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
    """The next frame of this type (and matching fields), skipping unrelated ones."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {type_} event {match} within {timeout}s")
        try:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=remaining))
        except TimeoutError as exc:
            raise AssertionError(f"no {type_} event {match} within {timeout}s") from exc
        if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def assert_silent(ws: ClientConnection, *types: str, wait: float = 0.7) -> None:
    """Nothing of these types (any type when none given) arrives within ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (remaining := deadline - loop.time()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=remaining))
        except TimeoutError:
            return
        if not types or frame.get("type") in types:
            raise AssertionError(f"unexpected frame: {frame}")
