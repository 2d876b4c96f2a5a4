"""PostgreSQL trouble mid-traffic: restarted, crashed, slow, or its connections reset.
While it is away the API answers 503 and sends fail without acknowledgement; clients
resend, and afterwards every message is stored exactly once, in order, gapless."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.helpers import api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.pg_private import PrivatePostgres
from tests.helpers.resender import Progress, send_all
from tests.helpers.server import run_server, test_settings
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.services


@pytest.fixture
async def pg() -> AsyncIterator[PrivatePostgres]:
    server = PrivatePostgres()
    await asyncio.to_thread(server.init)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(server.stop, "immediate")
        server.cleanup()


async def _exact(
    http: httpx.AsyncClient, user: api.TestUser, channel: str, acked: dict[str, int]
) -> None:
    api.assert_exact(await api.all_history(http, user, channel), acked)


async def _ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restarted_mid_traffic(
    tmp_path: Path, pg: PrivatePostgres, mode: str
) -> None:
    settings = test_settings(
        tmp_path / "data", pg.url, sends_per_user_per_sec=1e6, send_burst=10**6
    )
    async with (
        run_server(settings) as srv,
        httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http,
    ):
        a, b, channel = await api.friends_in_chat(http)
        ids = [f"m{i}" for i in range(300)]
        progress = Progress()
        sending = asyncio.create_task(
            send_all(srv.ws_url, a.token, channel, ids, window=4, progress=progress)
        )
        await wait_for(lambda: len(progress.acked) >= 20)
        await asyncio.to_thread(pg.stop, mode)
        # The fault hit mid-stream: messages were still to be sent, and the sender felt it.
        assert len(progress.acked) < len(ids)
        r = await http.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
        r = await http.get(f"/v1/channels/{channel}/messages", headers=a.auth)
        assert r.status_code in (401, 503)  # auth itself needs storage; never a 500
        await wait_for(lambda: progress.troubles > 0)
        down_at = len(progress.acked)
        await asyncio.to_thread(pg.start)
        await wait_for(lambda: _ready(http), timeout=30)
        acked = await sending
        assert len(acked) == len(ids) and down_at < len(ids)
        await _exact(http, b, channel, acked)


async def test_network_faults_between_gateway_and_storage(
    tmp_path: Path, pg: PrivatePostgres
) -> None:
    proxy = FaultProxy("127.0.0.1", pg.port)
    await proxy.start()
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/postgres"
    settings = test_settings(tmp_path / "data", url, sends_per_user_per_sec=1e6, send_burst=10**6)
    try:
        async with (
            run_server(settings) as srv,
            httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http,
        ):
            a, b, channel = await api.friends_in_chat(http)
            proxy.latency = 0.02
            ids = [f"n{i}" for i in range(200)]
            progress = Progress()
            sending = asyncio.create_task(
                send_all(srv.ws_url, a.token, channel, ids, window=8, progress=progress)
            )
            for round_ in range(3):
                # Each reset comes after more messages went through, and before the end.
                await wait_for(lambda n=round_: len(progress.acked) >= 20 * (n + 1))
                assert len(progress.acked) < len(ids)
                # Every storage connection breaks, mid-transaction for those in use.
                assert proxy.reset_all() > 0
            # Storage away: the pool's new connections are refused, at least once.
            proxy.refusing = True
            proxy.reset_all()
            await wait_for(lambda: proxy.refused > 0)
            proxy.refusing = False
            acked = await sending
            assert progress.troubles > 0  # some send met a broken connection
            proxy.latency = 0.0
            await _exact(http, b, channel, acked)
            assert (await http.get("/readyz")).status_code == 200
    finally:
        await proxy.stop()
    conn = await asyncpg.connect(pg.url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM messages") == 200
    finally:
        await conn.close()
