"""Messages and inboxes partitioned by month on PostgreSQL: chinwag creates the buckets
ahead of time and moves sends into the new one when its month begins; every read spans
buckets seamlessly, and each query touches one partition of one bucket."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from chinwag.messaging.models import SendRequest, Stored
from chinwag.store.postgres.buckets import month_bucket, next_month
from chinwag.store.postgres.migrate import migrate, migrate_url, migration_files
from chinwag.store.postgres.store import PostgresStore
from tests.helpers.wait import wait_for
from tests.store.pg_support import direct, group, users


def _ms(year: int, month: int, day: int = 1, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1000)


MAY, JUNE = _ms(2031, 5, 10), _ms(2031, 6, 2)


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PostgresStore]:
    engine = PostgresStore(pg_url)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


async def _send(store: PostgresStore, sender: str, channel: str, cmid: str) -> Stored:
    result = await store.messages.append(SendRequest(sender, f"d_{sender}", channel, cmid, cmid, 1))
    assert isinstance(result, Stored), result
    return result


async def _where(store: PostgresStore, table: str, key: str, value: str) -> dict[int, int]:
    """Rows per bucket of `table` whose `key` is `value`."""
    rows = await store.db.fetch(
        f"SELECT bucket, count(*) FROM {table} WHERE {key} = $1 GROUP BY bucket", value
    )
    return {r[0]: r[1] for r in rows}


def test_month_buckets() -> None:
    assert month_bucket(_ms(2031, 5, 31, 23)) == (203105, _ms(2031, 5))
    assert next_month(_ms(2031, 5, 31, 23)) == (203106, _ms(2031, 6))
    assert next_month(_ms(2031, 12, 15)) == (203201, _ms(2032, 1))


async def test_sends_move_to_each_new_month_and_reads_span_them(store: PostgresStore) -> None:
    await users(store, "a", "b", "c")
    await direct(store, "ab", "a", "b")
    await direct(store, "ac", "a", "c")
    for n in range(5):
        await _send(store, "a", "ab", f"old{n}")
    assert await store.buckets.ensure(MAY)
    assert await store.buckets.active() == 203105
    for n in range(5):
        await _send(store, "b", "ab", f"may{n}")
        await _send(store, "c", "ac", f"may{n}")  # ac's first message is in May
    assert await store.buckets.ensure(JUNE)
    for n in range(5):
        await _send(store, "a", "ab", f"june{n}")
    assert await _where(store, "messages", "channel_id", "ab") == {0: 5, 203105: 5, 203106: 5}
    assert await _where(store, "messages", "channel_id", "ac") == {203105: 5}
    assert await _where(store, "inbox", "user_id", "a") == {0: 5, 203105: 10, 203106: 5}

    h = store.messages.history
    everything = [m.message_id for m in await h("ab", before=None, after=0, limit=100)]
    assert everything == list(range(1, 16))
    for size in (1, 3, 4, 7):  # pages that start, end and straddle bucket boundaries
        pages, after = [], 0
        while page := await h("ab", before=None, after=after, limit=size):
            pages += [m.message_id for m in page]
            after = page[-1].message_id
        assert pages == everything
        pages, before = [], None
        while page := await h("ab", before=before, after=None, limit=size):
            pages = [m.message_id for m in page] + pages
            before = page[0].message_id
        assert pages == everything
    window = await h("ab", before=8, after=4, limit=10)
    assert [m.client_msg_id for m in window] == ["old4", "may0", "may1"]

    entries = await store.messages.inbox_after("a", 0, 100)
    assert [e.seq for e in entries] == list(range(1, 21))
    for size in (1, 4, 6):
        got, cursor = [], 0
        while batch := await store.messages.inbox_after("a", cursor, size):
            got += batch
            cursor = batch[-1].seq
        assert got == entries
    assert await store.messages.inbox_head("a") == 20

    # A resend of a message from an older bucket gets the original back.
    again = await store.messages.append(SendRequest("a", "d_a", "ab", "old2", "changed", 9))
    assert isinstance(again, Stored) and again.duplicate
    assert (again.message.message_id, again.message.text) == (3, "old2")
    assert await store.channels.mark_read("ab", "b", 2)
    assert not await store.channels.mark_read("ab", "b", 16)


async def test_sends_racing_an_activation_stay_in_order(pg_url: str) -> None:
    """While sends from two processes are in flight, the new bucket becomes active: every
    channel's ids and every user's seqs are in the old bucket up to a point and in the
    new one after it, never interleaved."""
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    await asyncio.gather(first.start(), second.start())
    try:
        people = [f"u{n}" for n in range(6)]
        await users(first, *people)
        await group(first, "g", "u0", people[1:])
        await direct(first, "d", "u0", "u1")
        await first.buckets.ensure(MAY)
        await first.db.execute("SELECT chinwag_create_bucket(203106, $1)", _ms(2031, 6))

        activated = asyncio.Event()
        sent = [0, 0]

        async def sending(store: PostgresStore, k: int) -> None:
            # Until the new bucket is active and a few sends after it, however long the
            # activation waits for its lock: every channel then has messages on both sides.
            n = after = 0
            while n < 40 or after < 4:
                await _send(store, f"u{k}", "g" if n % 2 else "d", f"u{k}-{n}")
                n += 1
                after += activated.is_set()
            sent[k] = n

        flows = [asyncio.create_task(sending(first if k % 2 else second, k)) for k in range(2)]
        await wait_for(lambda: first.messages.appender.sends + second.messages.appender.sends > 20)
        assert await second.buckets.activate(203106, JUNE)
        activated.set()
        await asyncio.gather(*flows)
        for table, key, value, order in (
            ("messages", "channel_id", "g", "message_id"),
            ("messages", "channel_id", "d", "message_id"),
            ("inbox", "user_id", "u0", "seq"),
            ("inbox", "user_id", "u5", "seq"),
        ):
            rows = await first.db.fetch(
                f"SELECT bucket FROM {table} WHERE {key} = $1 ORDER BY {order}", value
            )
            buckets = [r[0] for r in rows]
            assert buckets == sorted(buckets) and set(buckets) == {203105, 203106}, (table, value)
        starts = await first.db.fetch(
            "SELECT bucket, first_seq FROM inbox_buckets WHERE user_id = 'u0' ORDER BY bucket"
        )
        assert [r[0] for r in starts] == [203105, 203106] and starts[0][1] == 1
        entries = await second.messages.inbox_after("u0", 0, 1000)
        assert [e.seq for e in entries] == list(range(1, sum(sent) + 1))
    finally:
        await first.close()
        await second.close()


async def test_every_process_may_check_at_once(pg_url: str) -> None:
    stores = [PostgresStore(pg_url) for _ in range(3)]
    await asyncio.gather(*(s.start() for s in stores))
    try:
        results = await asyncio.gather(*(s.buckets.ensure(MAY) for s in stores))
        assert True in results
        # The ones that found another at work find nothing left on their next round.
        for s in stores:
            assert await s.buckets.ensure(MAY)
        rows = await stores[0].db.fetch("SELECT bucket FROM chinwag_buckets ORDER BY bucket")
        assert [r[0] for r in rows] == [0, 203105, 203106]
        assert await stores[2].buckets.active() == 203105
    finally:
        for s in stores:
            await s.close()


async def test_a_serving_process_creates_and_activates_buckets_itself(pg_url: str) -> None:
    store = PostgresStore(pg_url, buckets_first_check=0.0)
    await store.start()
    try:
        this, _ = month_bucket(int(datetime.now(UTC).timestamp() * 1000))
        await wait_for(lambda: _is_active(store, this))
        following = await store.db.fetchval(
            "SELECT count(*) FROM chinwag_buckets WHERE bucket > $1", this
        )
        assert following == 1  # next month's is ready before it begins
    finally:
        await store.close()


async def _is_active(store: PostgresStore, bucket: int) -> bool:
    return await store.buckets.active() == bucket


async def test_hot_queries_touch_one_partition(store: PostgresStore) -> None:
    await store.buckets.ensure(MAY)
    async with store.db.connection() as conn:
        # Bucket 0's partitions keep the names migration 0001 gave them.
        for bucket, prefix in ((0, ""), (203105, "_b203105")):
            history = await conn.fetch(
                f"EXPLAIN SELECT * FROM messages_b{bucket} WHERE channel_id = 'c1'"
                " AND message_id < 10 ORDER BY message_id DESC LIMIT 5"
            )
            inbox = await conn.fetch(
                f"EXPLAIN SELECT * FROM inbox_b{bucket} WHERE user_id = 'u1' AND seq > 3"
                " ORDER BY seq"
            )
            for plan, table in ((history, "messages"), (inbox, "inbox")):
                text = "\n".join(r[0] for r in plan)
                scanned = set(re.findall(rf" on ({table}_\w+)", text))
                assert len(scanned) == 1, text
                assert re.fullmatch(rf"{table}{prefix}_p\d+", scanned.pop()), text


async def test_upgrade_keeps_what_was_stored_before(pg_url: str) -> None:
    """A database as the previous version left it (before the time buckets), with
    messages in it: afterwards they are bucket 0, readable as before, and sends go on
    gaplessly."""
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for m in migration_files():
            if m.version > 3:
                break
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2, 0)", m.version, m.name
            )
        await conn.execute(
            "INSERT INTO users (id, username, username_key, password_hash, created_at)"
            " SELECT u, u, u, 'h', 1 FROM unnest(ARRAY['a', 'b']) u"
        )
        await conn.execute(
            "INSERT INTO channels (id, kind, direct_key, member_count, created_at)"
            " VALUES ('ab', 'direct', 'a:b', 2, 1)"
        )
        await conn.execute(
            "INSERT INTO members (channel_id, user_id, joined_at) VALUES ('ab', 'a', 1), ('ab', 'b', 1)"
        )
        await conn.execute(
            "INSERT INTO friendships (user_id, friend_id, created_at) VALUES ('a', 'b', 1), ('b', 'a', 1)"
        )
        for n in range(3):
            await conn.fetch(
                "SELECT * FROM chinwag_append('ab', 'a', 'd_a', $1, $1, 1, -1)", f"m{n}"
            )
        assert [m.name for m in migration_files()][3:] == await migrate(conn)
    finally:
        await conn.close()
    assert await migrate_url(pg_url) == []
    store = PostgresStore(pg_url)
    await store.start()
    try:
        await store.buckets.ensure(MAY)
        await _send(store, "b", "ab", "after")
        history = await store.messages.history("ab", before=None, after=None, limit=10)
        assert [m.client_msg_id for m in history] == ["m0", "m1", "m2", "after"]
        entries = await store.messages.inbox_after("b", 0, 10)
        assert [(e.seq, e.message.message_id) for e in entries] == [(1, 1), (2, 2), (3, 3), (4, 4)]
        again = await store.messages.append(SendRequest("a", "d_a", "ab", "m1", "x", 2))
        assert isinstance(again, Stored) and again.duplicate and again.message.message_id == 2
        assert await _where(store, "messages", "channel_id", "ab") == {0: 3, 203105: 1}
    finally:
        await store.close()
