"""Uploads take as long as they need while bytes keep coming; a silent one is cut off
after `body_timeout`, and leaves no file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.api import signup
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wait import wait_for
from tests.media.test_uploads import stored_files

TIMEOUT = 0.5


@pytest.fixture
async def slow_edge(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with run_server(test_settings(tmp_path / "data", body_timeout=TIMEOUT)) as srv:
        yield srv


async def test_a_slow_upload_that_keeps_moving_is_served(slow_edge: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=slow_edge.base_url, timeout=30) as http:
        a = await signup(http)
    chunks = 40  # 40 x 0.05 s: four times body_timeout in all
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_edge.port)
    try:
        writer.write(
            f"POST /v1/uploads?filename=slow.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Authorization: Bearer {a.token}\r\nContent-Length: {chunks * 1024}\r\n\r\n".encode()
        )
        for _ in range(chunks):
            writer.write(b"a" * 1024)
            await writer.drain()
            await asyncio.sleep(TIMEOUT / 10)  # the trickle itself, not a wait for the server
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["size"] == chunks * 1024


async def test_a_stalled_upload_is_cut_off_and_leaves_nothing(slow_edge: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=slow_edge.base_url, timeout=30) as http:
        a = await signup(http)
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_edge.port)
    try:
        writer.write(
            f"POST /v1/uploads?filename=stall.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {a.token}\r\nContent-Length: 1000000\r\n\r\n".encode()
            + b"b" * 400_000
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    await wait_for(lambda: stored_files(slow_edge) == [], timeout=10)
