"""Attachments (SPEC §5.3, §6): presign, bind on send, download URLs, thumbnails, cleanup.

A key is issued at presign time as a ``pending`` row for (uploader, dialog); on send it must come
back from the same uploader for the same dialog, with the object present at the announced size.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mtchat.auth import User
from mtchat.db.models import Attachment, Message
from mtchat.db.types import utcnow
from mtchat.domain.limits import MAX_ATTACHMENTS, MAX_FILE_BYTES
from mtchat.errors import (
    AttachmentNotFound,
    ChatError,
    FileTooLarge,
    InvalidInput,
    TooManyAttachments,
    UnsupportedFileType,
)
from mtchat.ids import new_id
from mtchat.runtime import Runtime, Tx
from mtchat.services.access import access_member
from mtchat.storage.base import ObjectStore, make_key, thumbnail_key, validate_key

log = logging.getLogger("mtchat")

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
ALLOWED_TYPES = IMAGE_TYPES | frozenset(
    {
        "image/svg+xml",  # download only, never inline (see storage.base.inline_allowed)
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf",
        "application/zip",
        "application/x-zip-compressed",
    }
)
THUMB_MAX = 320
UNATTACHED_MAX_AGE = timedelta(days=1)


def get_storage(runtime: Runtime) -> ObjectStore:
    if runtime.storage is None:
        from mtchat.storage.factory import make_storage

        runtime.storage = make_storage(runtime.settings)
    return runtime.storage


def normalize_content_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def max_file_bytes(runtime: Runtime) -> int:
    return min(runtime.settings.max_upload_bytes, MAX_FILE_BYTES)


def check_file(runtime: Runtime, content_type: str, size: int) -> str:
    ctype = normalize_content_type(content_type)
    if size > max_file_bytes(runtime):
        raise FileTooLarge(f"file exceeds {max_file_bytes(runtime)} bytes")
    if size < 0:
        raise InvalidInput("size must not be negative")
    if ctype not in ALLOWED_TYPES:
        raise UnsupportedFileType(f"file type {ctype!r} is not allowed")
    return ctype


async def presign_upload(
    runtime: Runtime, user: User, dialog_id: uuid.UUID, filename: str, content_type: str, size: int
) -> dict[str, Any]:
    ctype = check_file(runtime, content_type, size)
    storage = get_storage(runtime)
    key = make_key(dialog_id, filename)
    ttl = runtime.settings.upload_url_ttl_seconds
    async with runtime.tx() as tx:
        await access_member(tx.session, user, dialog_id)
        tx.session.add(
            Attachment(
                id=new_id(),
                dialog_id=dialog_id,
                uploader_id=user.user_id,
                s3_key=key,
                filename=filename,
                content_type=ctype,
                size=size,
                status="pending",
                created_at=utcnow(),
            )
        )
    url, headers = await storage.presign_put(key, ctype, size, ttl)
    return {"upload_url": url, "method": "PUT", "headers": headers, "s3_key": key, "expires_in": ttl}


async def is_pending(runtime: Runtime, key: str) -> bool:
    """Whether ``key`` still awaits its bytes (a bound file is never overwritten through its upload URL)."""
    async with runtime.read() as session:
        status = await session.scalar(select(Attachment.status).where(Attachment.s3_key == key))
    return status == "pending"


def _make_thumbnail(data: bytes) -> tuple[int, int, bytes] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            img.seek(0)
            thumb = img.convert("RGBA") if img.mode not in ("RGB", "RGBA") else img.copy()
            thumb.thumbnail((THUMB_MAX, THUMB_MAX))
            out = io.BytesIO()
            thumb.save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return width, height, out.getvalue()


async def bind_attachments(
    tx: Tx, user_id: str, dialog_id: uuid.UUID, message: Message, items: list[dict[str, Any]]
) -> list[Attachment]:
    """Attach uploaded files to ``message`` inside the send transaction.

    Everything is checked before anything is changed, so a failure leaves no half-bound rows.
    """
    if len(items) > MAX_ATTACHMENTS:
        raise TooManyAttachments(f"at most {MAX_ATTACHMENTS} attachments per message")
    storage = get_storage(tx.runtime)
    rows: list[Attachment] = []
    seen: set[str] = set()
    for item in items:
        key = item.get("s3_key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise InvalidInput("each attachment needs an s3_key")
        validate_key(key)
        if key in seen:
            raise InvalidInput("the same attachment twice")
        seen.add(key)
        row = await tx.session.scalar(select(Attachment).where(Attachment.s3_key == key))
        if (
            row is None
            or row.status != "pending"
            or row.uploader_id != user_id
            or row.dialog_id != dialog_id
            or not key.startswith(f"{dialog_id}/")
        ):
            raise AttachmentNotFound()
        check_file(tx.runtime, row.content_type, row.size)
        stored = await storage.head(key)
        if stored is None:
            raise AttachmentNotFound("file was not uploaded")
        if stored != row.size:
            raise InvalidInput("uploaded file size does not match the announced size")
        rows.append(row)
    for row in rows:
        if row.content_type in IMAGE_TYPES:
            await _thumbnail(storage, row)
        row.status = "attached"
        row.message_id = message.id
    await tx.session.flush()
    return rows


async def _thumbnail(storage: ObjectStore, row: Attachment) -> None:
    try:
        data = await storage.get_bytes(row.s3_key)
        made = await asyncio.to_thread(_make_thumbnail, data)
        if made is None:
            return
        row.width, row.height, thumb = made
        key = thumbnail_key(row.s3_key)
        await storage.put_bytes(key, thumb, "image/png")
        row.thumbnail_key = key
    except ChatError:
        raise
    except Exception:  # a broken image is still a valid file; it just has no preview
        log.warning("thumbnail failed for %s", row.s3_key, exc_info=True)


async def serialize_attachment(att: Attachment, storage: ObjectStore, ttl: int = 3600) -> dict[str, Any]:
    url = await storage.presign_get(att.s3_key, ttl, att.filename, att.content_type)
    thumb = (
        await storage.presign_get(att.thumbnail_key, ttl, "thumbnail.png", "image/png") if att.thumbnail_key else None
    )
    return {
        "id": att.id,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
        "width": att.width,
        "height": att.height,
        "url": url,
        "thumbnail_url": thumb,
    }


async def download_url(runtime: Runtime, user: User, attachment_id: uuid.UUID) -> dict[str, Any]:
    """Signed download URLs for a bound attachment; anyone but a participant gets 404."""
    async with runtime.read() as session:
        att = await session.get(Attachment, attachment_id)
        if att is None or att.status != "attached":
            raise AttachmentNotFound()
        try:
            await access_member(session, user, att.dialog_id)
        except ChatError as exc:
            raise AttachmentNotFound() from exc
    ttl = runtime.settings.download_url_ttl_seconds
    data = await serialize_attachment(att, get_storage(runtime), ttl)
    return {"url": data["url"], "thumbnail_url": data["thumbnail_url"], "expires_in": ttl}


async def _delete_objects(storage: ObjectStore, keys: list[str]) -> None:
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:
            log.warning("could not delete stored object %s", key, exc_info=True)


def _keys(rows: list[Attachment]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        keys.append(row.s3_key)
        keys.append(row.thumbnail_key or thumbnail_key(row.s3_key))
    return keys


async def _delete_where(tx: Tx, *criteria: Any) -> int:
    rows = list(await tx.session.scalars(select(Attachment).where(*criteria)))
    keys = _keys(rows)
    for row in rows:
        row.status = "deleted"
        row.message_id = None
    storage = get_storage(tx.runtime)

    async def remove() -> None:
        await _delete_objects(storage, keys)

    if keys:
        tx.after_commit(remove)
    return len(rows)


async def delete_message_files(tx: Tx, message_id: uuid.UUID) -> int:
    """Call inside the transaction that deletes the message; objects go once it has committed."""
    return await _delete_where(tx, Attachment.message_id == message_id)


async def delete_dialog_files(tx: Tx, dialog_id: uuid.UUID) -> int:
    """Call inside the transaction that deletes the dialog (rows cascade; objects go after commit)."""
    return await _delete_where(tx, Attachment.dialog_id == dialog_id, Attachment.status != "deleted")


async def cleanup_unattached(runtime: Runtime, older_than: timedelta = UNATTACHED_MAX_AGE) -> int:
    """Delete uploads never attached to a message (pending rows older than ``older_than``)."""
    cutoff = utcnow() - older_than
    async with runtime.tx() as tx:
        rows = list(
            await tx.session.scalars(
                select(Attachment).where(Attachment.status == "pending", Attachment.created_at < cutoff)
            )
        )
        keys = _keys(rows)
        for row in rows:
            await tx.session.delete(row)
    await _delete_objects(get_storage(runtime), keys)
    return len(rows)
