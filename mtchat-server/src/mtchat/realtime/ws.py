"""WebSocket endpoint (SPEC §5.4): ``GET /api/v1/ws?token=JWT``.

Each socket owns a bounded queue drained by its own sender task; ``deliver`` never blocks, and a
socket whose queue overflows is closed with 1013 so a slow client never stalls anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from sqlalchemy import select

from mtchat.auth import User, user_from_token
from mtchat.db.models import Participant
from mtchat.errors import ChatError, Unauthorized
from mtchat.events.realtime import Connected, ErrorEvent, Pong, PresenceUpdate, Typing
from mtchat.runtime import Runtime
from mtchat.services.access import access_member

log = logging.getLogger("mtchat.ws")

router = APIRouter(tags=["realtime"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_TRY_AGAIN_LATER = 1013
MAX_FRAME_CHARS = 4096


class WsConnection:
    """One open socket: a bounded outbound queue plus the task that writes it to the wire."""

    def __init__(self, websocket: WebSocket, user_id: str, queue_size: int) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=max(1, queue_size))
        self.closed = False
        self._sender: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop(), name=f"ws-send:{self.user_id}")

    def deliver(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("closing slow websocket of %s: send queue full", self.user_id)
            self.closed = True
            asyncio.get_running_loop().create_task(
                self._close(CLOSE_TRY_AGAIN_LATER, "send queue overflow: client too slow")
            )

    async def _send_loop(self) -> None:
        try:
            while True:
                event = await self.queue.get()
                await self.websocket.send_text(json.dumps(event, separators=(",", ":")))
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away; the receive loop notices and cleans up
            self.closed = True

    async def _close(self, code: int, reason: str) -> None:
        await self.stop()
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)

    async def stop(self) -> None:
        self.closed = True
        if self._sender is not None and self._sender is not asyncio.current_task():
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender


class TypingLimiter:
    """At most one typing event per (user, dialog) per interval, in this process."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[tuple[str, uuid.UUID], float] = {}

    def allow(self, user_id: str, dialog_id: uuid.UUID) -> bool:
        now = time.monotonic()
        key = (user_id, dialog_id)
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        if len(self._last) > 10_000:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        self._last[key] = now
        return True


def _typing_limiter(websocket: WebSocket, runtime: Runtime) -> TypingLimiter:
    limiter: TypingLimiter | None = getattr(websocket.app.state, "ws_typing_limiter", None)
    if limiter is None:
        limiter = TypingLimiter(runtime.settings.typing_min_interval_seconds)
        websocket.app.state.ws_typing_limiter = limiter
    return limiter


async def co_participants(runtime: Runtime, user_id: str) -> set[str]:
    """Users who share at least one dialog with ``user_id`` (presence goes only to them)."""
    mine = select(Participant.dialog_id).where(Participant.user_id == user_id)
    async with runtime.read() as session:
        rows = await session.scalars(
            select(Participant.user_id)
            .where(Participant.dialog_id.in_(mine), Participant.user_id != user_id)
            .distinct()
        )
        return set(rows)


async def dialog_participants(runtime: Runtime, dialog_id: uuid.UUID) -> set[str]:
    async with runtime.read() as session:
        rows = await session.scalars(select(Participant.user_id).where(Participant.dialog_id == dialog_id))
        return set(rows)


async def _publish_presence(runtime: Runtime, user_id: str, is_online: bool) -> None:
    try:
        recipients = await co_participants(runtime, user_id)
        if recipients:
            event = PresenceUpdate(user_id=user_id, is_online=is_online).model_dump(mode="json")
            await runtime.hub.publish(recipients, event)
    except Exception:
        log.exception("presence publish failed for %s", user_id)


async def _refuse(websocket: WebSocket, message: str) -> None:
    """Refuse the handshake with HTTP 401 where the server supports it, else close with 4401."""
    body = {"error": {"code": "UNAUTHORIZED", "message": message}}
    try:
        await websocket.send_denial_response(JSONResponse(body, status_code=401))
    except RuntimeError:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=message[:120])


async def _handle_frame(
    websocket: WebSocket, runtime: Runtime, user: User, conn: WsConnection, raw: str
) -> None:
    def error(message: str) -> None:
        conn.deliver(ErrorEvent(message=message).model_dump(mode="json"))

    if len(raw) > MAX_FRAME_CHARS:
        error("frame too large")
        return
    try:
        frame = json.loads(raw)
    except ValueError:
        error("frame is not valid JSON")
        return
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        error("frame must be a JSON object with a string 'type'")
        return
    kind = frame["type"]
    if kind == "ping":
        conn.deliver(Pong().model_dump(mode="json"))
        return
    if kind != "typing":
        error(f"unknown frame type: {kind[:64]}")
        return
    try:
        dialog_id = uuid.UUID(str(frame.get("dialog_id")))
    except ValueError:
        error("typing needs a valid dialog_id")
        return
    try:
        async with runtime.read() as session:
            await access_member(session, user, dialog_id)
    except ChatError as exc:
        error(exc.message)
        return
    if not _typing_limiter(websocket, runtime).allow(user.user_id, dialog_id):
        return
    recipients = await dialog_participants(runtime, dialog_id)
    recipients.discard(user.user_id)
    if recipients:
        event = Typing(dialog_id=dialog_id, user_id=user.user_id).model_dump(mode="json")
        await runtime.hub.publish(recipients, event)


@router.websocket("/api/v1/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    token = websocket.query_params.get("token")
    try:
        user = user_from_token(token, runtime.settings)
    except Unauthorized as exc:
        await _refuse(websocket, exc.message)
        return

    await websocket.accept()
    conn = WsConnection(websocket, user.user_id, runtime.settings.ws_queue_size)
    conn.deliver(Connected(user_id=user.user_id).model_dump(mode="json"))
    conn.start()
    registered = False
    try:
        came_online = await runtime.hub.connect(conn)
        registered = True
        if came_online:
            await _publish_presence(runtime, user.user_id, True)
        while not conn.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                data = message.get("bytes")
                raw = data.decode("utf-8", "replace") if data is not None else ""
            try:
                await _handle_frame(websocket, runtime, user, conn, raw)
            except Exception:
                log.exception("websocket frame handling failed for %s", user.user_id)
                conn.deliver(ErrorEvent(message="internal error").model_dump(mode="json"))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await conn.stop()
        if registered:
            went_offline = False
            try:
                went_offline = await runtime.hub.disconnect(conn)
            except Exception:
                log.exception("hub disconnect failed for %s", user.user_id)
            if went_offline:
                await _publish_presence(runtime, user.user_id, False)
