"""`chinwag admin deactivate` run as its own process beside a single server process,
with no bus between them: the account's open sockets still close at once (the server
reads the revocation notices the command leaves in the store)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from tests.helpers import api
from tests.helpers.process import ServerProcess
from tests.helpers.wsclient import WsClient


async def _admin(data_dir: Path, store: str, *args: str) -> str:
    argv = [sys.executable, "-m", "chinwag", "admin", *args, "--data-dir", str(data_dir)]
    if store:
        argv += ["--store", store]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_deactivation_from_another_process_closes_open_sockets(
    tmp_path: Path, store_url: str
) -> None:
    data_dir = tmp_path / "data"
    srv = ServerProcess(data_dir, store_url)
    await srv.start()
    try:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http:
            target, bystander = await api.signup(http), await api.signup(http)
            second = await api.login(http, target.username, device="second")
            sockets = []
            for user in (target, second, bystander):
                ws = await WsClient.connect(srv.ws_url)
                await ws.hello(user.token)
                sockets.append(ws)
            out = await _admin(data_dir, store_url, "deactivate", target.username)
            assert out.startswith("deactivate: ")
            for ws in sockets[:2]:
                assert await ws.closed(timeout=30) == 4001
            assert (await http.get("/v1/me", headers=target.auth)).status_code == 401
            # Only the account's sockets: the bystander's stays open.
            sockets[2].send({"type": "ping"})
            assert (await sockets[2].expect("pong"))["type"] == "pong"
            await sockets[2].close()
            # Reactivated and deactivated again: the server's cursor moved past the first.
            await _admin(data_dir, store_url, "reactivate", target.username)
            again = await api.login(http, target.username)
            ws = await WsClient.connect(srv.ws_url)
            await ws.hello(again.token)
            await _admin(data_dir, store_url, "deactivate", target.username)
            assert await ws.closed(timeout=30) == 4001
    finally:
        await srv.stop()
