"""Pick the storage backend from the settings (S3 when ``S3_BUCKET`` is set, else local)."""

from __future__ import annotations

import hashlib
import secrets

from mtchat.settings import Settings
from mtchat.storage.base import ObjectStore


def storage_secret(settings: Settings) -> bytes:
    if settings.storage_secret:
        return settings.storage_secret.encode()
    if settings.user_secrets:
        return hashlib.sha256(b"mtchat-storage-v1:" + settings.user_secrets[0].encode()).digest()
    return secrets.token_bytes(32)  # dev without any secret: links die with the process


def make_storage(settings: Settings) -> ObjectStore:
    if settings.s3_bucket:
        from mtchat.storage.s3 import S3Store

        return S3Store(
            bucket=settings.s3_bucket,
            endpoint=settings.s3_endpoint,
            public_endpoint=settings.s3_public_endpoint,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            region=settings.s3_region,
        )
    from mtchat.storage.local import LocalStore

    return LocalStore(settings.mtchat_data_dir / "files", storage_secret(settings), settings.public_url or "")
