"""Uploads, downloads and messages that carry files, on both storage engines (the
directory blob engine; tests/media/test_s3.py runs the S3 one)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import api
from tests.helpers.api import friends_in_chat, history, signup
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient
from tests.media import files

LIMIT = 2 << 20


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_upload_bytes": LIMIT}


async def upload(
    http: httpx.AsyncClient,
    user: api.TestUser,
    data: bytes | Any,
    name: str = "file.bin",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.post(
        "/v1/uploads",
        params={"filename": name},
        content=data,
        headers={**user.auth, **(headers or {})},
    )


async def uploaded(
    http: httpx.AsyncClient, user: api.TestUser, data: bytes, name: str
) -> dict[str, Any]:
    r = await upload(http, user, data, name)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def stored_files(server: RunningServer) -> list[Path]:
    """Every file the blob engine and the spool hold (partial ones included)."""
    data = Path(server.app.settings.data_dir)
    return [p for d in ("blobs", "spool") for p in (data / d).rglob("*") if p.is_file()]


async def test_a_file_is_stored_as_sniffed_and_only_its_uploader_reads_it(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a, b = await signup(http), await signup(http)
    data = b"<html><script>alert(1)</script></html>" * 100
    r = await upload(http, a, data, "page.html", headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["name"] == "page.html"
    assert att["size"] == len(data)
    assert att["content_type"] == "text/plain"  # from the bytes, not the client's word
    assert att["sha256"] == hashlib.sha256(data).hexdigest()
    assert "width" not in att and att["created_at"]

    got = await http.get(f"/v1/attachments/{att['id']}", headers=a.auth)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["etag"] == f'"{att["sha256"]}"'
    assert "private" in got.headers["cache-control"]

    stranger = await http.get(f"/v1/attachments/{att['id']}", headers=b.auth)
    unknown = await http.get("/v1/attachments/anothing", headers=b.auth)
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()
    assert (await http.get(f"/v1/attachments/{att['id']}")).status_code == 401


async def test_an_image_gets_its_size_a_thumbnail_and_is_served_inline(
    http: httpx.AsyncClient,
) -> None:
    a = await signup(http)
    att = await uploaded(http, a, files.png(1000, 500), "wide.png")
    assert (att["content_type"], att["width"], att["height"]) == ("image/png", 1000, 500)
    got = await http.get(f"/v1/attachments/{att['id']}", headers=a.auth)
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("inline;")
    thumb = await http.get(f"/v1/attachments/{att['id']}/thumbnail", headers=a.auth)
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/webp"
    import io

    from PIL import Image

    with Image.open(io.BytesIO(thumb.content)) as img:
        assert img.size == (320, 160)
    text = await uploaded(http, a, b"just text", "a.txt")
    none = await http.get(f"/v1/attachments/{text['id']}/thumbnail", headers=a.auth)
    assert none.status_code == 404


async def test_ranges_and_etags(http: httpx.AsyncClient) -> None:
    a = await signup(http)
    data = bytes(range(256)) * 400
    att = await uploaded(http, a, data, "bytes.bin")
    url = f"/v1/attachments/{att['id']}"
    part = await http.get(url, headers={**a.auth, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = await http.get(url, headers={**a.auth, "Range": "bytes=-5"})
    assert (tail.status_code, tail.content) == (206, data[-5:])
    rest = await http.get(url, headers={**a.auth, "Range": f"bytes={len(data) - 3}-"})
    assert rest.content == data[-3:]
    beyond = await http.get(url, headers={**a.auth, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    etag = part.headers["etag"]
    same = await http.get(url, headers={**a.auth, "If-None-Match": etag})
    assert same.status_code == 304
    stale = await http.get(url, headers={**a.auth, "Range": "bytes=0-0", "If-Range": '"old"'})
    assert (stale.status_code, stale.content) == (200, data)


async def test_messages_carry_attachments_and_members_may_read_them(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a, b, cid = await friends_in_chat(http)
    outsider = await signup(http)
    photo = await uploaded(http, a, files.jpeg(), "photo.jpg")
    doc = await uploaded(http, a, b"notes", "notes.txt")
    # Before a message carries it, only the uploader reads it.
    assert (await http.get(f"/v1/attachments/{photo['id']}", headers=b.auth)).status_code == 404

    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "m1", "text": "", "attachment_ids": [photo["id"], doc["id"]]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert [x["id"] for x in sent["attachments"]] == [photo["id"], doc["id"]]
    assert sent["attachments"][0]["width"] == 800

    got = await http.get(f"/v1/attachments/{photo['id']}", headers=b.auth)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == photo["sha256"]
    thumb = await http.get(f"/v1/attachments/{photo['id']}/thumbnail", headers=b.auth)
    assert thumb.status_code == 200
    assert (
        await http.get(f"/v1/attachments/{photo['id']}", headers=outsider.auth)
    ).status_code == 404

    [message] = await history(http, b, cid)
    assert message["text"] == ""
    assert [x["id"] for x in message["attachments"]] == [photo["id"], doc["id"]]
    # A resend is the same message, with its own attachments.
    again = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "m1", "text": "", "attachment_ids": [doc["id"]]},
        headers=a.auth,
    )
    assert again.status_code == 200
    assert [x["id"] for x in again.json()["attachments"]] == [photo["id"], doc["id"]]


async def test_a_websocket_send_carries_attachments_to_every_device(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a, b, cid = await friends_in_chat(http)
    att = await uploaded(http, a, files.png(64, 64), "dot.png")
    wa = await WsClient.connect(server.ws_url)
    wb = await WsClient.connect(server.ws_url)
    try:
        await wa.hello(a.token)
        await wb.hello(b.token)
        wa.send(
            {
                "type": "send",
                "channel_id": cid,
                "client_msg_id": "w1",
                "attachment_ids": [att["id"]],
            }
        )
        await wa.expect("sent")
        frame = await wb.expect("message")
        [carried] = frame["message"]["attachments"]
        assert (carried["id"], carried["width"], carried["height"]) == (att["id"], 64, 64)
        # And a device catching up later gets them from its inbox.
        late = await WsClient.connect(server.ws_url)
        try:
            await late.hello(b.token, cursor=0)
            replay = await late.expect("message")
            assert replay["message"]["attachments"][0]["id"] == att["id"]
        finally:
            await late.close()
    finally:
        await wa.close()
        await wb.close()


async def test_attachment_ids_that_are_not_the_senders_own_are_refused(
    http: httpx.AsyncClient,
) -> None:
    a, b, cid = await friends_in_chat(http)
    theirs = await uploaded(http, b, b"b's file", "b.txt")
    mine = [await uploaded(http, a, f"file {n}".encode(), f"{n}.txt") for n in range(11)]
    group = await http.post(
        "/v1/channels", json={"kind": "group", "name": "g", "member_ids": []}, headers=b.auth
    )
    not_mine = group.json()["id"]

    async def send(ids: list[str], channel: str = cid, text: str = "") -> httpx.Response:
        return await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"x{len(ids)}{ids[:1]}", "text": text, "attachment_ids": ids},
            headers=a.auth,
        )

    for ids, status in (
        ([theirs["id"]], 400),  # someone else's
        (["anever"], 400),  # never uploaded
        ([m["id"] for m in mine], 400),  # more than 10
        ([mine[0]["id"], mine[0]["id"]], 400),  # twice
    ):
        r = await send(ids)
        assert r.status_code == status, (ids, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    r = await send([mine[0]["id"]], channel=not_mine)
    assert r.status_code in (403, 404), r.text
    empty = await http.post(
        f"/v1/channels/{cid}/messages", json={"client_msg_id": "e", "text": ""}, headers=a.auth
    )
    assert empty.status_code == 400
    assert await history(http, a, cid) == []
    # b never got to read a's file through any of that.
    assert (await http.get(f"/v1/attachments/{mine[0]['id']}", headers=b.auth)).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("../etc/passwd", b"x", 400, "path"),
        ("a\x00b.txt", b"x", 400, "U+0000"),
        ("a\x07b.txt", b"x", 400, "control"),
        ("n" * 10_000, b"x", 400, "longer"),
        ("empty.txt", b"", 400, "empty"),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"this is text" * 100, 400, "damaged"),
        ("bomb.png", files.png_bomb(), 400, "pixels"),
        ("half.jpg", files.jpeg()[:5000], 400, "truncated"),
        ("big.bin", b"\x01" * (LIMIT + 1), 413, "larger"),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient,
    server: RunningServer,
    name: str,
    data: bytes,
    status: int,
    words: str,
) -> None:
    a = await signup(http)
    r = await upload(http, a, data, name)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"]
    assert stored_files(server) == []


async def test_a_chunked_body_past_the_limit_is_cut_off(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a = await signup(http)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):  # 4 MiB, twice the limit, with no Content-Length
            sent += 1
            yield b"\x02" * (64 << 10)

    r = await upload(http, a, body(), "stream.bin")
    assert r.status_code == 413
    assert stored_files(server) == []


async def test_content_length_over_the_limit_is_refused_before_the_body(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a = await signup(http)
    # Only the headers are sent: the answer comes without waiting for the body.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            f"POST /v1/uploads?filename=x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {a.token}"
            f"\r\nContent-Length: {10 * LIMIT}\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 413")
    finally:
        writer.close()
    assert stored_files(server) == []


async def test_an_upload_cut_off_halfway_leaves_no_file(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a = await signup(http)
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        f"POST /v1/uploads?filename=x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {a.token}"
        f"\r\nContent-Length: {LIMIT}\r\n\r\n".encode()
        + b"\x03" * (LIMIT // 2)
    )
    await writer.drain()
    # The server has started writing the file ...
    await wait_for(lambda: bool(stored_files(server)), timeout=10)
    writer.close()
    # ... and drops it when the client goes away.
    await wait_for(lambda: stored_files(server) == [], timeout=10)


async def test_a_download_is_sent_as_stored_even_to_clients_that_take_gzip(
    http: httpx.AsyncClient,
) -> None:
    """JSON answers are gzipped; files are not: their length and ranges are the stored
    bytes', so a client's progress and resumption hold."""
    a = await signup(http)
    data = b"the same line again and again\n" * 20_000
    att = await uploaded(http, a, data, "notes.txt")
    headers = {**a.auth, "Accept-Encoding": "gzip"}
    async with http.stream("GET", f"/v1/attachments/{att['id']}", headers=headers) as r:
        raw = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.headers["content-length"] == str(len(data))
    assert raw == data
