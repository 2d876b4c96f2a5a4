"""Blobs in an S3-compatible object store (`--blobs s3://bucket`), for clusters: every
process configured with the same bucket sees every blob.

A writer streams a multipart upload in parts of PART bytes (the smallest S3 allows
but the last), so it holds at most one part in memory; a blob smaller than one part is
one PUT. S3 makes the object visible only when the upload completes, and an aborted
writer aborts its multipart upload, so a key names a whole object or nothing. Reads
are ranged GETs, streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

PART = 5 << 20
READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class S3Settings:
    bucket: str
    prefix: str
    endpoint: str
    region: str
    access_key: str
    secret_key: str


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket[/prefix]` to (bucket, prefix)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("blobs must be empty (a directory in the data dir) or s3://bucket")
    prefix = parts.path.strip("/")
    return parts.netloc, prefix + "/" if prefix else ""


class S3Blobs:
    def __init__(self, settings: S3Settings) -> None:
        self._s = settings
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None

    async def start(self) -> None:
        s = self._s
        session = get_session()
        self._client = await self._stack.enter_async_context(
            session.create_client(
                "s3",
                endpoint_url=s.endpoint or None,
                region_name=s.region or "us-east-1",
                aws_access_key_id=s.access_key or None,
                aws_secret_access_key=s.secret_key or None,
                config=AioConfig(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    # Checksums only where S3 requires them: other S3-compatible stores
                    # do not all accept the newer default trailers.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        )

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None

    def _key(self, key: str) -> str:
        return self._s.prefix + key

    async def writer(self, key: str) -> S3Writer:
        loop = asyncio.get_running_loop()
        return S3Writer(self._client, self._s.bucket, self._key(key), loop)

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        if end <= start:
            return
        try:
            response = await self._client.get_object(
                Bucket=self._s.bucket, Key=self._key(key), Range=f"bytes={start}-{end - 1}"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise
        body = response["Body"]
        try:
            async for chunk in body.iter_chunks(READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        with contextlib.suppress(ClientError):
            await self._client.delete_object(Bucket=self._s.bucket, Key=self._key(key))


class S3Writer:
    """`write` is called from a worker thread (media/blobs.py): it fills the part there,
    and a full part is sent by the event loop while the worker waits for it."""

    def __init__(self, client: Any, bucket: str, key: str, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self._bucket = bucket
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._done = False

    def write(self, chunk: bytes) -> None:
        if _on_loop(self._loop):
            raise RuntimeError("S3Writer.write blocks: call it from a worker thread")
        self._buffer += chunk
        while len(self._buffer) >= PART:
            part = bytes(self._buffer[:PART])
            del self._buffer[:PART]
            asyncio.run_coroutine_threadsafe(self._upload_part(part), self._loop).result()

    async def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:
            created = await self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        done = await self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts.append({"ETag": done["ETag"], "PartNumber": number})

    async def commit(self) -> None:
        if self._upload_id is None:
            await self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer)
            )
        else:
            if self._buffer:
                await self._upload_part(bytes(self._buffer))
            await self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer.clear()
        self._done = True

    async def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._buffer.clear()
        if self._upload_id is not None:
            with contextlib.suppress(Exception):
                await self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
                )


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
