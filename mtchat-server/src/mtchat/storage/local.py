"""Embedded storage: files under ``MTCHAT_DATA_DIR/files``, moved through URLs signed by this server.

A token is ``base64url(json payload).base64url(HMAC-SHA256)``; the payload names the operation
(``put``/``get``), the key, the size cap, the content type and the expiry.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from mtchat.errors import InvalidInput, Unauthorized
from mtchat.storage.base import is_valid_key

UPLOAD_PATH = "/api/v1/upload/local/"
FILES_PATH = "/api/v1/files/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LocalStore:
    def __init__(self, root: Path, secret: bytes, base_url: str = "") -> None:
        self.root = root.resolve()
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    # -- signed tokens -------------------------------------------------------------------------
    def sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        mac = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def verify(self, token: str, op: str) -> dict[str, Any]:
        """The payload of a valid, unexpired token for ``op``; otherwise 401 (never which part failed)."""
        try:
            body, mac = token.split(".", 1)
            expected = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(mac)):
                raise ValueError("bad signature")
            payload: dict[str, Any] = json.loads(_unb64(body))
            if payload.get("op") != op or not is_valid_key(str(payload.get("k"))):
                raise ValueError("bad payload")
            if int(payload["e"]) < time.time():
                raise ValueError("expired")
        except (ValueError, KeyError, TypeError) as exc:
            raise Unauthorized("link invalid or expired") from exc
        return payload

    # -- paths ---------------------------------------------------------------------------------
    def path_for(self, key: str) -> Path:
        if not is_valid_key(key):
            raise InvalidInput("invalid attachment key")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidInput("invalid attachment key")
        return path

    # -- ObjectStore ---------------------------------------------------------------------------
    async def presign_put(self, key: str, content_type: str, size: int, ttl: int) -> tuple[str, dict[str, str]]:
        self.path_for(key)
        token = self.sign({"op": "put", "k": key, "m": size, "t": content_type, "e": int(time.time()) + ttl})
        return f"{self.base_url}{UPLOAD_PATH}{token}", {"Content-Type": content_type}

    async def presign_get(self, key: str, ttl: int, filename: str, content_type: str) -> str:
        self.path_for(key)
        token = self.sign({"op": "get", "k": key, "f": filename, "t": content_type, "e": int(time.time()) + ttl})
        return f"{self.base_url}{FILES_PATH}{token}"

    async def head(self, key: str) -> int | None:
        path = self.path_for(key)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return None

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path_for(key).read_bytes)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_for(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{uuid.uuid4().hex}")
            tmp.write_bytes(data)
            os.replace(tmp, path)

        await asyncio.to_thread(write)

    async def delete(self, key: str) -> None:
        path = self.path_for(key)

        def remove() -> None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty

        await asyncio.to_thread(remove)

    async def close(self) -> None:
        return None
