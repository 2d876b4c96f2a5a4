"""History and sync reads on a streaming replica: a private primary and a replica made with
pg_basebackup. Reads go to the replica once it has replayed every acknowledged write,
and never miss one because it lags: with replay paused they read the primary."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from chinwag.messaging.models import SendRequest, Stored
from chinwag.store.postgres.store import PostgresStore
from tests.helpers import api
from tests.helpers.pg_private import PrivatePostgres
from tests.helpers.server import run_server, test_settings
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient
from tests.store.pg_support import direct, users

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PrivatePostgres, PrivatePostgres]]:
    """One primary and its replica for the module; each test gets its own database."""
    primary, replica = PrivatePostgres(), PrivatePostgres()
    try:
        primary.init()
        primary.start()
        replica.replicate(primary)
        replica.start()
        yield primary, replica
    finally:
        for server in (replica, primary):
            with contextlib.suppress(Exception):
                server.stop("immediate")
            server.cleanup()


def _db_url(server: PrivatePostgres, name: str) -> str:
    return server.url.rsplit("/", 1)[0] + "/" + name


async def _connects(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@pytest.fixture
async def urls(servers: tuple[PrivatePostgres, PrivatePostgres]) -> tuple[str, str]:
    """(primary, replica) URLs of a fresh database, present on both."""
    primary, replica = servers
    name = "chinwag_" + secrets.token_hex(4)
    admin = await asyncpg.connect(primary.url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await wait_for(lambda: _connects(_db_url(replica, name)), timeout=30)
    return _db_url(primary, name), _db_url(replica, name)


@contextlib.asynccontextmanager
async def _paused(replica_url: str) -> AsyncIterator[None]:
    conn = await asyncpg.connect(replica_url)
    try:
        await conn.execute("SELECT pg_wal_replay_pause()")

        async def paused() -> bool:
            return bool(await conn.fetchval("SELECT pg_get_wal_replay_pause_state() = 'paused'"))

        await wait_for(paused)
        yield
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


@pytest.fixture
async def store(urls: tuple[str, str]) -> AsyncIterator[PostgresStore]:
    engine = PostgresStore(urls[0], replica_url=urls[1], replica_max_wait=0.2)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


async def _chat(store: PostgresStore) -> None:
    await users(store, "a", "b")
    await direct(store, "ab", "a", "b")


async def _send(store: PostgresStore, cmid: str) -> Stored:
    result = await store.messages.append(SendRequest("a", "d_a", "ab", cmid, cmid, 1))
    assert isinstance(result, Stored)
    return result


async def test_reads_go_to_the_replica_once_it_has_caught_up(store: PostgresStore) -> None:
    await _chat(store)
    for n in range(5):
        await _send(store, f"m{n}")
        # Each read begins after the send was acknowledged: it sees it, from the replica.
        history = await store.messages.history("ab", before=None, after=None, limit=10)
        assert [m.client_msg_id for m in history] == [f"m{k}" for k in range(n + 1)]
        entries = await store.messages.inbox_after("b", n, 10)
        assert [e.seq for e in entries] == [n + 1]
    stats = store.reads.stats
    assert stats.replica == 10 and stats.primary == 0


async def test_a_lagging_replica_never_hides_an_acknowledged_send(
    store: PostgresStore, urls: tuple[str, str]
) -> None:
    await _chat(store)
    await _send(store, "early")
    await store.messages.history("ab", before=None, after=None, limit=10)  # replica caught up
    async with _paused(urls[1]):
        await _send(store, "late")
        replica = await asyncpg.connect(urls[1])
        try:  # the replica really lags: read directly, the send is not there
            assert await replica.fetchval("SELECT count(*) FROM messages") == 1
        finally:
            await replica.close()
        history = await store.messages.history("ab", before=None, after=None, limit=10)
        assert [m.client_msg_id for m in history] == ["early", "late"]
        entries = await store.messages.inbox_after("a", 0, 10)
        assert [e.message.client_msg_id for e in entries] == ["early", "late"]
        assert store.reads.stats.lagged == 2
    # Replay resumed: reads return to the replica.
    served = store.reads.stats.replica
    history = await store.messages.history("ab", before=None, after=None, limit=10)
    assert [m.client_msg_id for m in history] == ["early", "late"]
    assert store.reads.stats.replica == served + 1


async def test_reads_survive_the_replica_going_away(
    servers: tuple[PrivatePostgres, PrivatePostgres], urls: tuple[str, str]
) -> None:
    _, replica = servers
    engine = PostgresStore(urls[0], replica_url=urls[1], replica_max_wait=0.2)
    engine.reads.retry_after = 0.2
    await engine.start()
    try:
        await _chat(engine)
        await _send(engine, "m0")
        await asyncio.to_thread(replica.stop, "fast")
        try:
            await _send(engine, "m1")
            for _ in range(3):
                history = await engine.messages.history("ab", before=None, after=None, limit=10)
                assert [m.client_msg_id for m in history] == ["m0", "m1"]
        finally:
            await asyncio.to_thread(replica.start)
        served = engine.reads.stats.replica

        async def back_on_replica() -> bool:
            await engine.messages.history("ab", before=None, after=None, limit=10)
            return engine.reads.stats.replica > served

        await wait_for(back_on_replica, timeout=30, step=0.1)
    finally:
        await engine.close()


async def test_a_read_that_fails_on_the_replica_is_read_from_the_primary(
    servers: tuple[PrivatePostgres, PrivatePostgres], urls: tuple[str, str]
) -> None:
    """The replica crashes under the pool's connections: the next read, sent there on the
    strength of the position the replica showed before, fails on it and is answered by the
    primary, not with an error."""
    _, replica = servers
    engine = PostgresStore(urls[0], replica_url=urls[1], replica_max_wait=0.2)
    await engine.start()
    try:
        await _chat(engine)
        await _send(engine, "m0")
        history = await engine.messages.history("ab", before=None, after=None, limit=10)
        assert engine.reads.stats.replica == 1
        await asyncio.to_thread(replica.stop, "immediate")
        try:
            history = await engine.messages.history("ab", before=None, after=None, limit=10)
            assert [m.client_msg_id for m in history] == ["m0"]
            assert engine.reads.stats.primary == 1
        finally:
            await asyncio.to_thread(replica.start)
    finally:
        await engine.close()


async def test_a_replica_that_is_not_a_standby_is_not_read(urls: tuple[str, str]) -> None:
    # Pointed at a primary (a promoted replica, or a mistake): it could be anywhere in time.
    engine = PostgresStore(urls[0], replica_url=urls[0])
    await engine.start()
    try:
        await _chat(engine)
        await _send(engine, "m0")
        history = await engine.messages.history("ab", before=None, after=None, limit=10)
        assert [m.client_msg_id for m in history] == ["m0"]
        assert engine.reads.stats.replica == 0 and engine.reads.stats.primary == 1
    finally:
        await engine.close()


async def test_a_device_sees_its_own_send_while_the_replica_lags(
    tmp_path: Path, urls: tuple[str, str]
) -> None:
    """The whole server with --store-replica: a message sent over the WebSocket is in the
    history over HTTP and in the replay of a reconnecting device, although the replica
    has not replayed it."""
    settings = test_settings(tmp_path / "data", urls[0], store_replica=urls[1])
    async with (
        run_server(settings) as srv,
        httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http,
    ):
        a, b, channel = await api.friends_in_chat(http)
        async with _paused(urls[1]):
            ws = await WsClient.connect(srv.ws_url)
            await ws.hello(a.token)
            ws.send({"type": "send", "channel_id": channel, "client_msg_id": "c1", "text": "hi"})
            sent = await ws.expect("sent", skip=("message",))
            await ws.close()
            history = await api.history(http, a, channel)
            assert [m["message_id"] for m in history] == [sent["message_id"]]
            other = await WsClient.connect(srv.ws_url)
            await other.hello(b.token, cursor=0)
            replayed = await other.expect("message")
            assert replayed["message"]["client_msg_id"] == "c1"
            await other.close()
        metrics = (await http.get("/metrics")).text
        lagged = re.search(r"^chinwag_store_reads_lagged_total (\S+)$", metrics, re.M)
        assert lagged is not None and float(lagged[1]) >= 2
