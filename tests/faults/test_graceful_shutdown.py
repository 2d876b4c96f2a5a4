"""SIGTERM: in-flight requests finish, sockets close with 1001, storage closes, exit 0."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import httpx

from tests.helpers import api
from tests.helpers.process import ServerProcess
from tests.helpers.wsclient import WsClient


async def test_sigterm_finishes_in_flight_and_closes_sockets(tmp_path: Path) -> None:
    # Real argon2 cost, so a login is still running when the signal arrives.
    srv = ServerProcess(
        tmp_path / "data", argon2_time_cost=3, argon2_memory_kib=65536, drain_seconds=0.2
    )
    await srv.start()
    async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http:
        user = await api.signup(http)
        ws = await WsClient.connect(srv.ws_url)
        await ws.hello(user.token)
        login = asyncio.create_task(
            http.post("/v1/sessions", json={"username": user.username, "password": user.password})
        )
        await asyncio.sleep(0.03)
        code = await srv.stop(signal.SIGTERM)
        r = await login
        assert r.status_code == 201 and r.json()["token"]
        assert await ws.closed() == 1001
    assert code == 0
    # Storage was closed cleanly: the WAL was checkpointed into the database file.
    assert (
        not (tmp_path / "data" / "chinwag.db-wal").exists()
        or (tmp_path / "data" / "chinwag.db-wal").stat().st_size == 0
    )
    conn = sqlite3.connect(tmp_path / "data" / "chinwag.db")
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    conn.close()
