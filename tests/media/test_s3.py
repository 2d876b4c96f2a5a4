"""The S3 blob engine against a real S3 server (SeaweedFS), and two api processes that
share its files."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.blobs.s3 import PART, S3Blobs, S3Settings
from tests.helpers.api import friends_in_chat, history, signup
from tests.helpers.server import run_server, test_settings
from tests.media import files
from tests.media.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS


def s3_settings(seaweed: SeaweedFS, bucket: str, prefix: str = "") -> S3Settings:
    return S3Settings(bucket, prefix, seaweed.endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY)


def s3_overrides(seaweed: SeaweedFS, bucket: str) -> dict[str, Any]:
    return {
        "blobs": f"s3://{bucket}/chat",
        "s3_endpoint": seaweed.endpoint,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
        "max_upload_bytes": 32 << 20,
    }


async def read_all(blobs: S3Blobs, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in blobs.read(key, start, end)])


async def test_blobs_stream_in_parts_and_an_aborted_writer_leaves_nothing(
    seaweed: SeaweedFS, s3_bucket: str
) -> None:
    blobs = S3Blobs(s3_settings(seaweed, s3_bucket, "p/"))
    await blobs.start()
    try:
        data = bytes(range(256)) * ((2 * PART + 12345) // 256)  # three parts, the last short
        writer = await blobs.writer("files/big")
        for n in range(0, len(data), 100_000):
            # From a worker thread, as uploads write (media/ingest.py).
            await asyncio.to_thread(writer.write, data[n : n + 100_000])
        await writer.commit()
        assert await read_all(blobs, "files/big", 0, len(data)) == data
        assert await read_all(blobs, "files/big", PART - 3, PART + 3) == data[PART - 3 : PART + 3]

        small = await blobs.writer("files/small")
        await asyncio.to_thread(small.write, b"hello")
        await small.commit()
        assert await read_all(blobs, "files/small", 1, 5) == b"ello"

        dropped = await blobs.writer("files/dropped")
        with pytest.raises(RuntimeError):  # on the event loop it would wait on itself
            dropped.write(b"x")
        await asyncio.to_thread(dropped.write, b"x" * (PART + 1))  # a part is up already
        await dropped.abort()
        with pytest.raises(Exception):  # noqa: B017 - botocore's NoSuchKey
            await read_all(blobs, "files/dropped", 0, 1)

        await blobs.delete("files/small")
        with pytest.raises(Exception):  # noqa: B017
            await read_all(blobs, "files/small", 0, 1)
    finally:
        await blobs.close()


@pytest.mark.parametrize("store_kind", ["postgres"])
async def test_two_api_processes_see_the_same_files_through_s3(
    tmp_path: Path, store_url: str, seaweed: SeaweedFS, s3_bucket: str
) -> None:
    overrides = s3_overrides(seaweed, s3_bucket)
    first = test_settings(tmp_path / "one", store_url, **overrides)
    second = test_settings(tmp_path / "two", store_url, **overrides)
    async with (
        run_server(first) as one,
        run_server(second) as two,
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as h1,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as h2,
    ):
        a, b, cid = await friends_in_chat(h1)
        photo = files.jpeg(1200, 900)
        r = await h1.post(
            "/v1/uploads", params={"filename": "p.jpg"}, content=photo, headers=a.auth
        )
        assert r.status_code == 201, r.text
        att = r.json()
        assert (att["width"], att["height"]) == (1200, 900)
        sent = await h1.post(
            f"/v1/channels/{cid}/messages",
            json={"client_msg_id": "s1", "attachment_ids": [att["id"]]},
            headers=a.auth,
        )
        assert sent.status_code == 201, sent.text
        # The other process: the message, the file and its thumbnail.
        [message] = await history(h2, b, cid)
        assert message["attachments"][0]["id"] == att["id"]
        got = await h2.get(f"/v1/attachments/{att['id']}", headers=b.auth)
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == att["sha256"]
        part = await h2.get(
            f"/v1/attachments/{att['id']}", headers={**b.auth, "Range": "bytes=100-199"}
        )
        assert (part.status_code, part.content) == (206, photo[100:200])
        thumb = await h2.get(f"/v1/attachments/{att['id']}/thumbnail", headers=b.auth)
        assert thumb.status_code == 200
        assert thumb.headers["content-type"] == "image/webp"


@pytest.mark.parametrize("store_kind", ["sqlite"])
async def test_bad_uploads_leave_nothing_in_the_bucket(
    tmp_path: Path, store_url: str, seaweed: SeaweedFS, s3_bucket: str
) -> None:
    settings = test_settings(tmp_path / "d", store_url, **s3_overrides(seaweed, s3_bucket))
    async with run_server(settings) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            a = await signup(http)
            bomb = await http.post(
                "/v1/uploads",
                params={"filename": "b.png"},
                content=files.png_bomb(),
                headers=a.auth,
            )
            assert bomb.status_code == 400

            async def too_much() -> Any:
                for _ in range(40):
                    yield b"\x05" * (1 << 20)

            big = await http.post(
                "/v1/uploads", params={"filename": "x"}, content=too_much(), headers=a.auth
            )
            assert big.status_code == 413
        blobs = S3Blobs(s3_settings(seaweed, s3_bucket))
        await blobs.start()
        try:
            listed = await blobs._client.list_objects_v2(Bucket=s3_bucket)
            assert listed.get("KeyCount", 0) == 0, listed.get("Contents")
            uploads = await blobs._client.list_multipart_uploads(Bucket=s3_bucket)
            assert not uploads.get("Uploads"), uploads["Uploads"]
        finally:
            await blobs.close()
