"""Uploads and downloads: presign, attachment URLs, and the embedded store's signed endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import IO

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import FileResponse

from mtchat.api.deps import CurrentUser, RuntimeDep
from mtchat.api.schemas.common import ERROR_RESPONSES, Envelope
from mtchat.api.schemas.uploads import DownloadUrlOut, PresignIn, PresignOut
from mtchat.errors import AttachmentNotFound, FileTooLarge, InvalidInput, Unauthorized
from mtchat.services import attachments as svc
from mtchat.storage.base import content_disposition
from mtchat.storage.local import LocalStore

router = APIRouter(prefix="/api/v1", tags=["uploads"], responses=ERROR_RESPONSES)


def _absolute(url: str, request: Request) -> str:
    """Locally signed URLs are relative unless PUBLIC_URL is set: anchor them at this request's host."""
    return str(request.base_url).rstrip("/") + url if url.startswith("/") else url


@router.post("/upload/presign", response_model=Envelope[PresignOut])
async def presign(body: PresignIn, request: Request, runtime: RuntimeDep, user: CurrentUser) -> Envelope[PresignOut]:
    data = await svc.presign_upload(runtime, user, body.dialog_id, body.filename, body.content_type, body.size)
    data["upload_url"] = _absolute(data["upload_url"], request)
    return Envelope(data=PresignOut(**data))


@router.get("/attachments/{attachment_id}/url", response_model=Envelope[DownloadUrlOut])
async def attachment_url(
    attachment_id: uuid.UUID, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> Envelope[DownloadUrlOut]:
    data = await svc.download_url(runtime, user, attachment_id)
    data["url"] = _absolute(data["url"], request)
    if data["thumbnail_url"]:
        data["thumbnail_url"] = _absolute(data["thumbnail_url"], request)
    return Envelope(data=DownloadUrlOut(**data))


def _local(runtime: RuntimeDep) -> LocalStore:
    store = svc.get_storage(runtime)
    if not isinstance(store, LocalStore):
        raise Unauthorized("link invalid or expired")
    return store


@router.put("/upload/local/{token}", status_code=status.HTTP_204_NO_CONTENT, include_in_schema=False)
async def local_upload(token: str, request: Request, runtime: RuntimeDep) -> Response:
    """The embedded store's upload target: streamed to disk, capped at the signed size."""
    store = _local(runtime)
    claims = store.verify(token, "put")
    limit = int(claims["m"])
    sent_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if sent_type != claims["t"]:
        raise InvalidInput("Content-Type does not match the presigned type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise FileTooLarge(f"file exceeds the announced {limit} bytes")
    if not await svc.is_pending(runtime, claims["k"]):
        raise AttachmentNotFound("upload no longer accepted")  # bound, cleaned up or never issued
    path = store.path_for(claims["k"])
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}")
    fh: IO[bytes] = await asyncio.to_thread(open, tmp, "wb")
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise FileTooLarge(f"file exceeds the announced {limit} bytes")
            await asyncio.to_thread(fh.write, chunk)
        await asyncio.to_thread(fh.close)
        await asyncio.to_thread(os.replace, tmp, path)
    except BaseException:
        fh.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/files/{token}", include_in_schema=False)
async def local_download(token: str, runtime: RuntimeDep) -> FileResponse:
    store = _local(runtime)
    claims = store.verify(token, "get")
    path = store.path_for(claims["k"])
    if not await asyncio.to_thread(path.is_file):
        raise AttachmentNotFound()
    ctype = str(claims["t"])
    return FileResponse(
        path,
        media_type=ctype,
        headers={
            "Content-Disposition": content_disposition(str(claims["f"]), ctype),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=300",
        },
    )
