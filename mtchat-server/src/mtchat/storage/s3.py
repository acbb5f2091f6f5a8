"""S3-compatible storage (AWS, MinIO) through aiobotocore.

Browser-facing URLs are signed against ``S3_PUBLIC_ENDPOINT`` (the host the browser sees), server-side
calls go to ``S3_ENDPOINT``.
"""

from __future__ import annotations

from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from mtchat.errors import InvalidInput
from mtchat.storage.base import content_disposition, is_valid_key


class S3Store:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str | None,
        public_endpoint: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        region: str,
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self.public_endpoint = public_endpoint or endpoint
        self._session = get_session()
        self._credentials = {
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "region_name": region,
        }
        self._config = AioConfig(signature_version="s3v4", s3={"addressing_style": "path"})

    def _client(self, endpoint: str | None) -> Any:
        return self._session.create_client("s3", endpoint_url=endpoint, config=self._config, **self._credentials)

    @staticmethod
    def _check(key: str) -> None:
        if not is_valid_key(key):
            raise InvalidInput("invalid attachment key")

    async def presign_put(self, key: str, content_type: str, size: int, ttl: int) -> tuple[str, dict[str, str]]:
        self._check(key)
        async with self._client(self.public_endpoint) as client:
            url: str = await client.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=ttl,
                HttpMethod="PUT",
            )
        return url, {"Content-Type": content_type}

    async def presign_get(self, key: str, ttl: int, filename: str, content_type: str) -> str:
        self._check(key)
        async with self._client(self.public_endpoint) as client:
            url: str = await client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": content_disposition(filename, content_type),
                    "ResponseContentType": content_type,
                },
                ExpiresIn=ttl,
            )
        return url

    async def head(self, key: str) -> int | None:
        self._check(key)
        async with self._client(self.endpoint) as client:
            try:
                resp = await client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    return None
                raise
        return int(resp["ContentLength"])

    async def get_bytes(self, key: str) -> bytes:
        self._check(key)
        async with self._client(self.endpoint) as client:
            resp = await client.get_object(Bucket=self.bucket, Key=key)
            async with resp["Body"] as body:
                data: bytes = await body.read()
        return data

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._check(key)
        async with self._client(self.endpoint) as client:
            await client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    async def delete(self, key: str) -> None:
        self._check(key)
        async with self._client(self.endpoint) as client:
            await client.delete_object(Bucket=self.bucket, Key=key)

    async def close(self) -> None:
        return None
