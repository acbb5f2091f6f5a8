"""Storage keys, signed local tokens and the local store (no server needed)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from mtchat.errors import InvalidInput, Unauthorized
from mtchat.settings import Settings
from mtchat.storage.base import (
    content_disposition,
    is_valid_key,
    make_key,
    safe_filename,
    thumbnail_key,
    validate_key,
)
from mtchat.storage.factory import make_storage, storage_secret
from mtchat.storage.local import LocalStore
from mtchat.storage.s3 import S3Store

DIALOG = uuid.UUID("01890000-0000-7000-8000-000000000001")


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\Отчёт 2024.pdf") == "2024.pdf"
    assert safe_filename("..") == "file"
    assert safe_filename(".hidden") == "hidden"
    assert safe_filename("a b;c.txt") == "a_b_c.txt"
    assert len(safe_filename("x" * 1000)) == 200


def test_keys() -> None:
    key = make_key(DIALOG, "../Photo.png")
    assert key.startswith(f"{DIALOG}/") and key.endswith("/Photo.png")
    assert is_valid_key(key) and validate_key(key) == key
    assert is_valid_key(thumbnail_key(key)) and thumbnail_key(key).endswith("/.thumb.png")
    for bad in (
        "../x",
        f"{DIALOG}/../x",
        f"/{key}",
        f"{DIALOG}/{'0' * 32}/..",
        f"{DIALOG}/{'0' * 32}/.env",
        key + "/x",
    ):
        assert not is_valid_key(bad)
        with pytest.raises(InvalidInput):
            validate_key(bad)


def test_content_disposition_never_inlines_svg() -> None:
    assert content_disposition("a.svg", "image/svg+xml").startswith("attachment")
    assert content_disposition("a.png", "image/png").startswith("inline")
    assert content_disposition("x.html", "text/plain").startswith("attachment")
    assert "filename*=UTF-8''%D0%AF.pdf" in content_disposition("\u042f.pdf", "application/pdf")


def test_tokens(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, b"k" * 32)
    token = store.sign({"op": "get", "k": make_key(DIALOG, "a.txt"), "e": int(time.time()) + 60})
    assert store.verify(token, "get")["op"] == "get"
    with pytest.raises(Unauthorized):
        store.verify(token, "put")
    with pytest.raises(Unauthorized):
        LocalStore(tmp_path, b"other").verify(token, "get")
    with pytest.raises(Unauthorized):
        store.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "get")
    with pytest.raises(Unauthorized):
        store.verify("garbage", "get")
    expired = store.sign({"op": "get", "k": make_key(DIALOG, "a.txt"), "e": int(time.time()) - 1})
    with pytest.raises(Unauthorized):
        store.verify(expired, "get")
    traversal = store.sign({"op": "get", "k": "../../etc/passwd", "e": int(time.time()) + 60})
    with pytest.raises(Unauthorized):
        store.verify(traversal, "get")


async def test_local_store_roundtrip(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "files", b"k" * 32, "https://chat.example.com/")
    key = make_key(DIALOG, "a.txt")
    assert await store.head(key) is None
    await store.put_bytes(key, b"hello", "text/plain")
    assert await store.head(key) == 5
    assert await store.get_bytes(key) == b"hello"
    url, headers = await store.presign_put(key, "text/plain", 5, 60)
    assert url.startswith("https://chat.example.com/api/v1/upload/local/") and headers == {"Content-Type": "text/plain"}
    assert (await store.presign_get(key, 60, "a.txt", "text/plain")).startswith(
        "https://chat.example.com/api/v1/files/"
    )
    await store.delete(key)
    await store.delete(key)
    assert await store.head(key) is None
    with pytest.raises(InvalidInput):
        store.path_for("../outside")


def test_factory(tmp_path: Path) -> None:
    base = Settings(mtchat_data_dir=tmp_path, jwt_secret="s" * 32)
    assert isinstance(make_storage(base), LocalStore)
    assert storage_secret(base) == storage_secret(Settings(mtchat_data_dir=tmp_path, jwt_secret="s" * 32))
    assert storage_secret(base) != storage_secret(Settings(jwt_secret="t" * 32))
    assert storage_secret(Settings(storage_secret="explicit")) == b"explicit"
    s3 = make_storage(
        Settings(s3_bucket="b", s3_endpoint="http://minio:9000", s3_public_endpoint="http://localhost:9000")
    )
    assert isinstance(s3, S3Store) and s3.public_endpoint == "http://localhost:9000"


async def test_s3_urls_signed_for_public_endpoint() -> None:
    store = S3Store(
        bucket="files",
        endpoint="http://minio:9000",
        public_endpoint="https://files.example.com",
        access_key_id="a",
        secret_access_key="b",
        region="us-east-1",
    )
    key = make_key(DIALOG, "a.svg")
    url, headers = await store.presign_put(key, "image/svg+xml", 6, 60)
    assert url.startswith(f"https://files.example.com/files/{key}?") and "X-Amz-Signature" in url
    assert headers == {"Content-Type": "image/svg+xml"}
    get = await store.presign_get(key, 60, "a.svg", "image/svg+xml")
    assert get.startswith("https://files.example.com/") and "response-content-disposition=attachment" in get
    with pytest.raises(InvalidInput):
        await store.presign_get("../x", 60, "x", "text/plain")
