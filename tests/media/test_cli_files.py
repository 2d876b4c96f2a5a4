"""`chinwag chat send --file` and `chinwag chat download`, and the client library's
streamed upload with progress, against a real server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx

from chinwag.client import ApiClient
from tests.chat.support import Cli
from tests.helpers.api import friends_in_chat, unique_name
from tests.helpers.server import RunningServer
from tests.media import files


async def test_send_a_file_and_download_it(server: RunningServer, tmp_path: Path) -> None:
    alice, bob = Cli(server.base_url, tmp_path / "a"), Cli(server.base_url, tmp_path / "b")
    a, b = unique_name("alice"), unique_name("bob")
    await alice.signup(a)
    await bob.signup(b)
    await alice.ok("add-friend", b)
    await bob.ok("accept", a)
    photo = tmp_path / "holiday photo.png"
    photo.write_bytes(files.png(400, 300))
    notes = tmp_path / "notes.bin"
    notes.write_bytes(os.urandom(300_000))
    assert await alice.ok("send", b, "look", "--file", str(photo), "--file", str(notes)) == (
        "sent #1\n"
    )
    assert await alice.ok("send", b, "--file", str(notes)) == "sent #2\n"  # no text
    [first, second] = (await bob.ok("history", a)).splitlines()
    assert f"{a}: look ['holiday photo.png', " in first and "image/png" in first
    assert "'notes.bin', 300000 bytes" in second
    attachment_id = second.rsplit("id ", 1)[1].rstrip("]")
    out = tmp_path / "saved.bin"
    said = await bob.ok("download", attachment_id, "--out", str(out))
    assert said == f"saved 300000 bytes to {out}\n"
    assert out.read_bytes() == notes.read_bytes()
    nothing = await bob("send", a)
    assert nothing.status == 1 and "nothing to send" in nothing.err


async def test_the_client_library_streams_with_progress(
    http: httpx.AsyncClient, server: RunningServer, tmp_path: Path
) -> None:
    a, b, cid = await friends_in_chat(http)
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 << 20))
    seen: list[tuple[int, int]] = []
    async with ApiClient(server.base_url, a.token) as api:
        att = await api.upload(source, progress=lambda done, total: seen.append((done, total)))
        assert att.size == 3 << 20
        assert att.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        message = await api.send_http(cid, "", attachment_ids=[att.id])
        assert message.attachments[0].id == att.id
    assert len(seen) > 4 and seen[-1] == (3 << 20, 3 << 20)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    got: list[int] = []
    async with ApiClient(server.base_url, b.token) as api:
        [m] = await api.history(cid)
        size = await api.download(
            m.attachments[0].id, tmp_path / "copy.bin", progress=lambda d, t: got.append(d)
        )
    assert size == 3 << 20 and got[-1] == size
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()


async def test_a_session_sends_attachments_over_the_websocket(
    http: httpx.AsyncClient, server: RunningServer, tmp_path: Path
) -> None:
    from chinwag.client import MessageEvent
    from tests.client.support import api_for, next_of, session_for

    a, b, cid = await friends_in_chat(http)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(files.jpeg(300, 200))
    async with (
        api_for(server.base_url, a) as api_a,
        api_for(server.base_url, b) as api_b,
        session_for(api_a) as sa,
        session_for(api_b) as sb,
    ):
        events = sb.events()
        att = await api_a.upload(photo)
        ack = await sa.send(cid, "", attachment_ids=[att.id])
        got = await next_of(events, MessageEvent)
        assert got.message.message_id == ack.message_id
        [carried] = got.message.attachments
        assert (carried.id, carried.width, carried.height) == (att.id, 300, 200)
