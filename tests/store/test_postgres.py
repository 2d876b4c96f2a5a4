"""What only the PostgreSQL engine promises beyond the conformance suite: several
processes on one database (migrations, sends, cached member lists) and outages answered
as `unavailable`, never as crashes. Batches: test_postgres_batches.py; time buckets and
partition pruning: test_postgres_buckets.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from chinwag.accounts.models import Device, NewUser, ProfileChanges
from chinwag.errors import ChinwagError, Code
from chinwag.friends.models import FriendRequest
from chinwag.messaging.models import SendRequest, Stored
from chinwag.push.models import PushSubscription
from chinwag.store.postgres.migrate import migrate_url, migration_files
from chinwag.store.postgres.store import PostgresStore


@pytest.fixture
async def pair(pg_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two engines on one database, as two server processes would have."""
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    await asyncio.gather(first.start(), second.start())
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def _users(store: PostgresStore, *ids: str) -> None:
    """Users open to group adds from anyone, so groups need no friendships here."""
    for uid in ids:
        await store.accounts.create_user(NewUser(uid, uid, "h", uid, 1))
        await store.accounts.update_profile(uid, ProfileChanges(group_adds="anyone"))


async def _send(store: PostgresStore, sender: str, channel_id: str, cmid: str) -> Stored:
    result = await store.messages.append(
        SendRequest(sender, f"d_{sender}", channel_id, cmid, cmid, 1)
    )
    assert isinstance(result, Stored), result
    return result


async def test_concurrent_migrations_apply_each_file_once(pg_url: str) -> None:
    results = await asyncio.gather(*(migrate_url(pg_url) for _ in range(6)))
    names = [m.name for m in migration_files()]
    assert sorted(results, key=len) == [[]] * 5 + [names]
    assert await migrate_url(pg_url) == []
    conn = await asyncpg.connect(pg_url)
    try:
        versions = [r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    finally:
        await conn.close()
    assert sorted(versions) == [m.version for m in migration_files()]


async def test_two_processes_send_gaplessly(pair: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = pair
    senders = [f"s{n}" for n in range(10)]
    await _users(first, "reader", *senders)
    await first.channels.create_group("g1", "g", "reader", senders, 1, 100)

    async def run(store: PostgresStore, sender: str) -> list[Stored]:
        return [await _send(store, sender, "g1", f"{sender}-{n}") for n in range(30)]

    batches = await asyncio.gather(
        *(run(first if n % 2 else second, s) for n, s in enumerate(senders))
    )
    results = [s for batch in batches for s in batch]
    assert sorted(s.message.message_id for s in results) == list(range(1, 301))
    assert sorted(s.cursors["reader"] for s in results) == list(range(1, 301))
    assert await second.messages.inbox_head("reader") == 300


async def test_resends_racing_across_processes_resolve_to_the_original(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    await _users(first, "a", "b")
    request = FriendRequest("f1", "a", "b", 1)
    await first.friends.create_request(request)
    await first.friends.accept_request(request, 1)
    await first.channels.direct_channel("c1", "a", "b", 1)
    results = await asyncio.gather(
        *(_send(first if n % 2 else second, "a", "c1", "same") for n in range(16))
    )
    assert sum(not r.duplicate for r in results) == 1
    assert {r.message.message_id for r in results} == {1}


async def test_member_list_cache_follows_changes_from_another_process(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    await _users(first, "o", "a", "b", "c")
    await first.channels.create_group("g1", "big", "o", ["a", "b"], 1, 2)  # fan-out on read
    assert sorted((await _send(first, "a", "g1", "m1")).members) == ["a", "b", "o"]
    assert sorted((await _send(first, "a", "g1", "m2")).members) == ["a", "b", "o"]  # cached
    await second.channels.add_member("g1", "c", 2, 2, 100, added_by="o")
    assert sorted((await _send(first, "a", "g1", "m3")).members) == ["a", "b", "c", "o"]
    await second.channels.remove_member("g1", "b")
    assert sorted((await _send(first, "o", "g1", "m4")).members) == ["a", "c", "o"]


async def test_outages_are_unavailable(pg_url: str, pg_admin_url: str) -> None:
    store = PostgresStore(pg_url, min_connections=2, max_connections=4)
    await store.start()
    await _users(store, "a")
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            pg_url.rsplit("/", 1)[1],
        )
    finally:
        await admin.close()
    # Connections cut by the server fail as `unavailable` (or are replaced unnoticed).
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(await store.accounts.get_user("a") is not None)
        except ChinwagError as exc:
            assert exc.code is Code.UNAVAILABLE
            outcomes.append(False)
    assert outcomes[-1] is True  # and the pool recovers on its own
    assert await store.ping()

    await store.close()
    assert not await store.ping()
    with pytest.raises(ChinwagError) as closed:
        await store.accounts.get_user("a")
    assert closed.value.code is Code.UNAVAILABLE


async def test_unreachable_server_is_unavailable() -> None:
    nowhere = "postgresql://postgres@127.0.0.1:1/chinwag"
    with pytest.raises(ChinwagError) as starting:
        await PostgresStore(nowhere, connect_timeout=2).start()
    assert starting.value.code is Code.UNAVAILABLE
    with pytest.raises(ChinwagError) as migrating:
        await migrate_url(nowhere)
    assert migrating.value.code is Code.UNAVAILABLE


async def test_integrity_errors_are_client_errors(pg_url: str) -> None:
    # SQLite answers these with `unavailable` today, so they are not in the shared suite.
    store = PostgresStore(pg_url)
    await store.start()
    try:
        await _users(store, "a")
        await store.accounts.create_device(Device("d1", "a", "x", 1), b"tok")
        await store.push.add_subscription(PushSubscription("p1", "a", "d1", "fcm", token="t"))
        acc, friends, push = store.accounts, store.friends, store.push
        sub = PushSubscription
        cases: list[tuple[Code, Callable[[], Awaitable[object]]]] = [
            (Code.CONFLICT, lambda: acc.create_device(Device("d2", "a", "x", 1), b"tok")),
            (Code.NOT_FOUND, lambda: acc.create_device(Device("d3", "ghost", "x", 1), b"t3")),
            (Code.NOT_FOUND, lambda: friends.create_request(FriendRequest("r", "ghost", "a", 1))),
            (Code.CONFLICT, lambda: push.add_subscription(sub("p1", "a", "d1", "fcm"))),
            (Code.NOT_FOUND, lambda: push.add_subscription(sub("p2", "ghost", "d", "fcm"))),
        ]
        for code, call in cases:
            with pytest.raises(ChinwagError) as caught:
                await call()
            assert caught.value.code is code
    finally:
        await store.close()
