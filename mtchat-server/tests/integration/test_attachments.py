"""Attachments end to end (SPEC §5.3, §6), against the embedded store and a real S3 endpoint (moto)."""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from mtchat.app import build_runtime
from mtchat.db.models import Attachment, Message
from mtchat.db.types import utcnow
from mtchat.ids import new_id
from mtchat.runtime import Runtime
from mtchat.services.attachments import (
    bind_attachments,
    cleanup_unattached,
    delete_dialog_files,
    delete_message_files,
    serialize_attachment,
)
from tests.conftest import RunningServer, auth, create_dialog, free_port, uid, user_token

_seq = itertools.count(1_000_000)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def make_bucket(endpoint: str) -> str:
    name = f"mtchat-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, server_factory: Any) -> RunningServer:
    if request.param == "local":
        running: RunningServer = server_factory()
        return running
    endpoint = request.getfixturevalue("moto_url")
    running = server_factory(
        s3_endpoint=endpoint,
        s3_bucket=make_bucket(endpoint),
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    return running


@pytest.fixture
def local(server_factory: Any) -> RunningServer:
    running: RunningServer = server_factory()
    return running


@pytest.fixture
async def side_runtime(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A runtime in the test's own loop, on the same database and storage as a running server."""
    made: list[Runtime] = []

    def factory(running: RunningServer) -> Runtime:
        runtime = build_runtime(running.settings)
        made.append(runtime)
        return runtime

    yield factory
    for runtime in made:
        await runtime.engine.dispose()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def presign(
    client: httpx.AsyncClient, token: str, dialog_id: str, filename: str, content_type: str, size: int
) -> httpx.Response:
    return await client.post(
        "/api/v1/upload/presign",
        json={"dialog_id": dialog_id, "filename": filename, "content_type": content_type, "size": size},
        headers=auth(token),
    )


async def upload(
    client: httpx.AsyncClient, token: str, dialog_id: str, filename: str, content_type: str, data: bytes
) -> str:
    resp = await presign(client, token, dialog_id, filename, content_type, len(data))
    assert resp.status_code == 200, resp.text
    body = resp.json()["data"]
    assert body["method"] == "PUT" and body["expires_in"] > 0
    put = await client.put(body["upload_url"], content=data, headers=body["headers"])
    assert put.status_code in (200, 204), put.text
    key: str = body["s3_key"]
    return key


async def new_message(runtime: Runtime, dialog_id: str, sender: str) -> uuid.UUID:
    async with runtime.tx() as tx:
        msg = Message(
            id=new_id(),
            dialog_id=uuid.UUID(dialog_id),
            seq=next(_seq),
            sender_id=sender,
            message_type="user",
            content="files",
            text="files",
            mentions=[],
            sent_at=utcnow(),
        )
        tx.session.add(msg)
    return msg.id


async def bind(
    runtime: Runtime, user_id: str, dialog_id: str, message_id: uuid.UUID, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    assert runtime.storage is not None
    async with runtime.tx() as tx:
        message = await tx.session.get(Message, message_id)
        assert message is not None
        rows = await bind_attachments(tx, user_id, uuid.UUID(dialog_id), message, items)
        return [await serialize_attachment(row, runtime.storage) for row in rows]


async def error_code(coro: Any) -> str:
    from mtchat.errors import ChatError

    try:
        await coro
    except ChatError as exc:
        return str(exc.code)
    raise AssertionError("expected a ChatError")


async def test_full_cycle_with_thumbnail(backend: RunningServer, side_runtime: Any) -> None:
    alice, bob = uid("alice"), uid("bob")
    data = png(1000, 500)
    async with httpx.AsyncClient(base_url=backend.url, timeout=30) as client:
        dialog = await create_dialog(client, participants=[alice, bob])
        resp = await presign(client, user_token(alice), dialog["id"], "../../Photo 1.png", "image/png", len(data))
        issued = resp.json()["data"]
        put = await client.put(issued["upload_url"], content=data, headers=issued["headers"])
        assert put.status_code in (200, 204), put.text
        key = issued["s3_key"]
        assert key.startswith(f"{dialog['id']}/") and ".." not in key and key.endswith("/Photo_1.png")

        runtime = side_runtime(backend)
        mid = await new_message(runtime, dialog["id"], alice)
        [att] = await bind(runtime, alice, dialog["id"], mid, [{"s3_key": key}])
        assert (att["width"], att["height"], att["size"]) == (1000, 500, len(data))
        if backend.settings.s3_bucket is None:  # a bound file cannot be replaced through its upload URL
            again = await client.put(issued["upload_url"], content=png(10, 10), headers=issued["headers"])
            assert again.status_code == 404
        assert att["filename"] == "../../Photo 1.png" and att["content_type"] == "image/png"
        assert att["url"] and att["thumbnail_url"]

        resp = await client.get(f"/api/v1/attachments/{att['id']}/url", headers=auth(user_token(bob)))
        assert resp.status_code == 200, resp.text
        urls = resp.json()["data"]
        assert urls["expires_in"] == backend.settings.download_url_ttl_seconds
        got = await client.get(urls["url"])
        assert got.status_code == 200 and got.content == data
        assert "inline" in got.headers.get("content-disposition", "")
        thumb = await client.get(urls["thumbnail_url"])
        assert thumb.status_code == 200
        with Image.open(io.BytesIO(thumb.content)) as img:
            assert img.size == (320, 160)

        # bound once: the same key cannot be attached again
        mid2 = await new_message(runtime, dialog["id"], alice)
        assert await error_code(bind(runtime, alice, dialog["id"], mid2, [{"s3_key": key}])) == "ATTACHMENT_NOT_FOUND"

        # deleting the message deletes its files
        assert runtime.storage is not None
        async with runtime.tx() as tx:
            assert await delete_message_files(tx, mid) == 1
        assert await runtime.storage.head(key) is None
        resp = await client.get(f"/api/v1/attachments/{att['id']}/url", headers=auth(user_token(bob)))
        assert resp.status_code == 404


async def test_foreign_and_malformed_keys_rejected(backend: RunningServer, side_runtime: Any) -> None:
    alice, bob = uid("alice"), uid("bob")
    async with httpx.AsyncClient(base_url=backend.url, timeout=30) as client:
        d1 = await create_dialog(client, participants=[alice, bob])
        d2 = await create_dialog(client, participants=[alice, bob])
        key = await upload(client, user_token(alice), d1["id"], "a.txt", "text/plain", b"hello")
        runtime = side_runtime(backend)
        m1 = await new_message(runtime, d1["id"], bob)
        m2 = await new_message(runtime, d2["id"], alice)
        # another user's key
        assert await error_code(bind(runtime, bob, d1["id"], m1, [{"s3_key": key}])) == "ATTACHMENT_NOT_FOUND"
        # another dialog's key
        assert await error_code(bind(runtime, alice, d2["id"], m2, [{"s3_key": key}])) == "ATTACHMENT_NOT_FOUND"
        # traversal and garbage
        for bad in ("../../etc/passwd", f"{d1['id']}/../../x", "/etc/passwd", f"{d1['id']}/{'0' * 32}/..", ""):
            assert await error_code(bind(runtime, alice, d1["id"], m1, [{"s3_key": bad}])) == "INVALID_INPUT"
        assert await error_code(bind(runtime, alice, d1["id"], m1, [{"nope": 1}])) == "INVALID_INPUT"
        # issued but never uploaded
        resp = await presign(client, user_token(alice), d1["id"], "b.txt", "text/plain", 3)
        missing = resp.json()["data"]["s3_key"]
        assert await error_code(bind(runtime, alice, d1["id"], m1, [{"s3_key": missing}])) == "ATTACHMENT_NOT_FOUND"
        # uploaded with a different size than announced (S3 does not enforce it at PUT time)
        resp = await presign(client, user_token(alice), d1["id"], "c.txt", "text/plain", 3)
        body = resp.json()["data"]
        put = await client.put(body["upload_url"], content=b"ab", headers=body["headers"])
        assert put.status_code in (200, 204)
        assert await error_code(bind(runtime, alice, d1["id"], m1, [{"s3_key": body["s3_key"]}])) == "INVALID_INPUT"
        # nothing half-bound: a valid key next to a bad one stays pending
        items = [{"s3_key": key}, {"s3_key": missing}]
        assert await error_code(bind(runtime, alice, d1["id"], m1, items)) == "ATTACHMENT_NOT_FOUND"
        async with runtime.read() as session:
            from sqlalchemy import select

            row = await session.scalar(select(Attachment).where(Attachment.s3_key == key))
            assert row is not None and row.status == "pending" and row.message_id is None
        # too many
        many = [{"s3_key": key}] * 11
        assert await error_code(bind(runtime, alice, d1["id"], m1, many)) == "TOO_MANY_ATTACHMENTS"
        # the valid one still binds
        [att] = await bind(runtime, alice, d1["id"], m1, [{"s3_key": key}])
        assert att["width"] is None and att["thumbnail_url"] is None


async def test_presign_limits_and_access(local: RunningServer) -> None:
    alice, outsider, candidate = uid("alice"), uid("out"), uid("cand")
    tenant = uid("t")
    async with httpx.AsyncClient(base_url=local.url, timeout=30) as client:
        dialog = await create_dialog(
            client, participants=[alice], scopes=[{"tenant_uid": tenant, "scope_level1": [], "scope_level2": []}]
        )
        tok = user_token(alice)
        resp = await presign(client, tok, dialog["id"], "big.zip", "application/zip", 100 * 1024 * 1024 + 1)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "FILE_TOO_LARGE"
        for ctype in ("application/x-msdownload", "text/html", "application/javascript"):
            resp = await presign(client, tok, dialog["id"], "x.exe", ctype, 10)
            assert resp.status_code == 400 and resp.json()["error"]["code"] == "UNSUPPORTED_FILE_TYPE"
        resp = await presign(client, tok, dialog["id"], "x.pdf", "application/pdf", -1)
        assert resp.status_code == 400
        resp = await presign(client, user_token(outsider), dialog["id"], "a.txt", "text/plain", 3)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "DIALOG_NOT_FOUND"
        resp = await presign(client, user_token(candidate, tenant=tenant), dialog["id"], "a.txt", "text/plain", 3)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "NOT_PARTICIPANT"
        resp = await client.post("/api/v1/upload/presign", json={"dialog_id": dialog["id"]})
        assert resp.status_code == 401

        # the local PUT enforces the signed size and type
        resp = await presign(client, tok, dialog["id"], "a.txt", "text/plain", 5)
        body = resp.json()["data"]
        put = await client.put(body["upload_url"], content=b"123456", headers=body["headers"])
        assert put.status_code == 400 and put.json()["error"]["code"] == "FILE_TOO_LARGE"
        put = await client.put(body["upload_url"], content=b"12345", headers={"Content-Type": "text/html"})
        assert put.status_code == 400
        tampered = body["upload_url"][:-3] + ("AAA" if not body["upload_url"].endswith("AAA") else "BBB")
        put = await client.put(tampered, content=b"12345", headers=body["headers"])
        assert put.status_code == 401
        put = await client.put(body["upload_url"], content=b"12345", headers=body["headers"])
        assert put.status_code == 204
        resp = await client.get(f"{local.url}/api/v1/files/{body['upload_url'].rsplit('/', 1)[1]}")
        assert resp.status_code == 401  # an upload token is not a download token

        # no Content-Length (chunked): the cap is enforced while streaming, nothing is kept
        resp = await presign(client, tok, dialog["id"], "c.txt", "text/plain", 10)
        body = resp.json()["data"]

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b"x" * 4

        put = await client.put(body["upload_url"], content=chunks(), headers=body["headers"])
        assert put.status_code == 400 and put.json()["error"]["code"] == "FILE_TOO_LARGE"
        folder = local.settings.mtchat_data_dir / "files" / body["s3_key"].rsplit("/", 1)[0]
        assert not any(folder.iterdir()) if folder.exists() else True


async def test_download_participants_only(local: RunningServer, side_runtime: Any) -> None:
    alice, outsider, candidate = uid("alice"), uid("out"), uid("cand")
    tenant = uid("t")
    async with httpx.AsyncClient(base_url=local.url, timeout=30) as client:
        dialog = await create_dialog(
            client, participants=[alice], scopes=[{"tenant_uid": tenant, "scope_level1": [], "scope_level2": []}]
        )
        key = await upload(client, user_token(alice), dialog["id"], "s.svg", "image/svg+xml", b"<svg/>")
        runtime = side_runtime(local)
        mid = await new_message(runtime, dialog["id"], alice)
        [att] = await bind(runtime, alice, dialog["id"], mid, [{"s3_key": key}])
        assert att["thumbnail_url"] is None  # SVG is never rendered
        for who in (user_token(outsider), user_token(candidate, tenant=tenant)):
            resp = await client.get(f"/api/v1/attachments/{att['id']}/url", headers=auth(who))
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "ATTACHMENT_NOT_FOUND"
        resp = await client.get(f"/api/v1/attachments/{uuid.uuid4()}/url", headers=auth(user_token(alice)))
        assert resp.status_code == 404
        resp = await client.get(f"/api/v1/attachments/{att['id']}/url", headers=auth(user_token(alice)))
        got = await client.get(resp.json()["data"]["url"])
        assert got.status_code == 200 and got.content == b"<svg/>"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["x-content-type-options"] == "nosniff"


async def test_expired_local_urls_refused(server_factory: Any, side_runtime: Any) -> None:
    running: RunningServer = server_factory(upload_url_ttl_seconds=1, download_url_ttl_seconds=1)
    alice = uid("alice")
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as client:
        dialog = await create_dialog(client, participants=[alice])
        resp = await presign(client, user_token(alice), dialog["id"], "a.txt", "text/plain", 2)
        late = resp.json()["data"]
        key = await upload(client, user_token(alice), dialog["id"], "b.txt", "text/plain", b"ok")
        runtime = side_runtime(running)
        mid = await new_message(runtime, dialog["id"], alice)
        await bind(runtime, alice, dialog["id"], mid, [{"s3_key": key}])
        async with runtime.read() as session:
            from sqlalchemy import select

            att_id = await session.scalar(select(Attachment.id).where(Attachment.s3_key == key))
        resp = await client.get(f"/api/v1/attachments/{att_id}/url", headers=auth(user_token(alice)))
        url = resp.json()["data"]["url"]
        await asyncio.sleep(2.1)
        put = await client.put(late["upload_url"], content=b"hi", headers=late["headers"])
        assert put.status_code == 401
        got = await client.get(url)
        assert got.status_code == 401


async def test_cleanup_and_dialog_files(backend: RunningServer, side_runtime: Any) -> None:
    alice = uid("alice")
    async with httpx.AsyncClient(base_url=backend.url, timeout=30) as client:
        dialog = await create_dialog(client, participants=[alice])
        stale = await upload(client, user_token(alice), dialog["id"], "old.txt", "text/plain", b"old")
        fresh = await upload(client, user_token(alice), dialog["id"], "new.txt", "text/plain", b"new")
        bound = await upload(client, user_token(alice), dialog["id"], "p.png", "image/png", png(40, 20))
    runtime = side_runtime(backend)
    storage = runtime.storage
    assert storage is not None
    mid = await new_message(runtime, dialog["id"], alice)
    [att] = await bind(runtime, alice, dialog["id"], mid, [{"s3_key": bound}])
    assert (att["width"], att["height"]) == (40, 20)
    async with runtime.tx() as tx:
        from sqlalchemy import update

        await tx.session.execute(
            update(Attachment).where(Attachment.s3_key == stale).values(created_at=utcnow() - timedelta(days=2))
        )
    assert await cleanup_unattached(runtime) >= 1
    assert await storage.head(stale) is None
    assert await storage.head(fresh) == 3
    async with runtime.read() as session:
        assert await session.get(Attachment, att["id"]) is not None
        from sqlalchemy import select

        assert await session.scalar(select(Attachment).where(Attachment.s3_key == stale)) is None
    async with runtime.tx() as tx:
        assert await delete_dialog_files(tx, uuid.UUID(dialog["id"])) == 2
    assert await storage.head(fresh) is None
    assert await storage.head(bound) is None
