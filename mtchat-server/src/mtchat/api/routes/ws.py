"""The WebSocket route lives with the realtime code; registered here like every other router."""

from __future__ import annotations

from mtchat.realtime.ws import router

__all__ = ["router"]
