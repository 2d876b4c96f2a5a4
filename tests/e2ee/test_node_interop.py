"""A device on matrix-sdk-crypto-wasm (the browser's library, run by Node) and Python
devices on vodozemac in one encrypted group: both ways, through chinwag's routes only."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2ee.devices import device
from tests.helpers import api
from tests.helpers.server import RunningServer

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_library() -> Path:
    """The device script; it imports the library vendored for the web client."""
    if shutil.which("node") is None:
        if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
            raise RuntimeError("node is not installed")
        pytest.skip("node is not installed")
    return NODE_DIR


@pytest.fixture
def store_kind() -> str:
    """The server side runs on both engines in the other tests of this directory."""
    return "sqlite"


class NodeDevice:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        async with asyncio.timeout(120):
            answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        assert "error" not in answer, answer["error"]
        return answer


async def test_wasm_and_python_devices_talk(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path, node_library: Path
) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    await api.befriend(http, a, b)
    await api.befriend(http, a, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [b.id, c.id], "encrypted": True},
        headers=a.auth,
    )
    cid = r.json()["id"]
    env = {
        **os.environ,
        "BASE": server.base_url,
        "TOKEN": b.token,
        "USER_ID": b.id,
        "DEVICE_ID": b.device_id,
        "CHANNEL": cid,
        "MEMBERS": ",".join((a.id, b.id, c.id)),
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        "device.mjs",
        cwd=node_library,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    node = NodeDevice(process)
    try:
        await node.ask("publish")
        async with (
            device(server.base_url, a, tmp_path) as da,
            device(server.base_url, c, tmp_path) as dc,
        ):
            await da.send(cid, {"msgtype": "m.text", "body": "from python"})
            assert (await node.ask("read"))["read"] == [[a.id, "from python"]]
            sent = (await node.ask("send from wasm"))["sent"]
            reply = next(m for m in await da.api.history(cid) if m.message_id == sent)
            assert (await da.decrypt(reply)).content["body"] == "from wasm", list(da.refused)
            assert (await dc.decrypt(reply)).content["body"] == "from wasm"
    finally:
        if process.stdin is not None:
            process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)
