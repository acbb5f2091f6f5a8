"""WebSocket endpoint (SPEC §5.4): ``GET /api/v1/ws?token=JWT``.

Events arrive already encoded (``memory.encode``: once per event, not once per socket).
``deliver`` never blocks: frames wait in a bounded per-socket queue, and a socket whose queue
overflows is closed with 1013 so a slow client never stalls anyone else. The queue and the task
that writes it exist only while there is something to write: an idle socket costs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from sqlalchemy import select

from mtchat.auth import User, user_from_token
from mtchat.db.models import Participant
from mtchat.errors import ChatError, Unauthorized
from mtchat.events.realtime import Connected, ErrorEvent, Pong, RealtimeEvent, Typing
from mtchat.realtime.memory import encode
from mtchat.runtime import Runtime
from mtchat.services.access import access_member

log = logging.getLogger("mtchat.ws")

router = APIRouter(tags=["realtime"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013
MAX_FRAME_CHARS = 4096


class WsConnection:
    """One open socket: frames waiting to be written (at most ``queue_size`` behind the one being
    written), and the task writing them while there are any."""

    __slots__ = ("_started", "_writer", "closed", "max_pending", "pending", "user_id", "websocket")

    def __init__(self, websocket: WebSocket, user_id: str, queue_size: int) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.max_pending = max(1, queue_size)
        self.pending: deque[str] | None = None
        self.closed = False
        self._started = False
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin writing (frames delivered before this, e.g. ``connected``, go out first)."""
        self._started = True
        if self.pending:
            self._spawn_writer()

    def send_event(self, event: RealtimeEvent) -> None:
        self.deliver(encode(event.model_dump(mode="json")))

    def deliver(self, frame: str) -> None:
        if self.closed:
            return
        pending = self.pending
        if pending is None:
            pending = self.pending = deque()
        elif len(pending) >= self.max_pending:
            log.warning("closing slow websocket of %s: send queue full", self.user_id)
            self.closed = True
            asyncio.get_running_loop().create_task(
                self._close(CLOSE_TRY_AGAIN_LATER, "send queue overflow: client too slow")
            )
            return
        pending.append(frame)
        if self._writer is None and self._started:
            self._spawn_writer()

    def resync(self) -> None:
        if self.closed:
            return
        self.closed = True
        asyncio.get_running_loop().create_task(
            self._close(CLOSE_SERVICE_RESTART, "realtime fan-out was interrupted: reconnect and catch up")
        )

    def _spawn_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write_pending())

    async def _write_pending(self) -> None:
        send = self.websocket.send_text
        try:
            while self.pending:
                await send(self.pending.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away; the receive loop notices and cleans up
            self.closed = True
        finally:
            # No await between the last (empty) check and here: nothing can be delivered unseen.
            self._writer = None
            self.pending = None

    async def _close(self, code: int, reason: str) -> None:
        await self.stop()
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)

    async def stop(self) -> None:
        self.closed = True
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer


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


async def dialog_participants(runtime: Runtime, dialog_id: uuid.UUID) -> set[str]:
    async with runtime.read() as session:
        rows = await session.scalars(select(Participant.user_id).where(Participant.dialog_id == dialog_id))
        return set(rows)


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
        conn.send_event(ErrorEvent(message=message))

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
        conn.send_event(Pong())
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
    conn.send_event(Connected(user_id=user.user_id))
    registered = False
    try:
        came_online = await runtime.hub.connect(conn)
        registered = True
        # Only now does `connected` go out: a client that catches up when it sees it cannot miss an event
        # published between its history request and this socket's registration (queued events follow).
        conn.start()
        if came_online:
            runtime.presence.changed(user.user_id, True)
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
                conn.send_event(ErrorEvent(message="internal error"))
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
                runtime.presence.changed(user.user_id, False)
