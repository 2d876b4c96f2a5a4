"""Batched sends on PostgreSQL: many sends in one transaction, each keeping every promise
of a send on its own (gapless ids, idempotency, refusals and failures of its own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from chinwag.errors import ChinwagError, Code
from chinwag.messaging.models import SendRefusal, SendRequest, Stored
from chinwag.store.postgres.appends import BatchAppender
from chinwag.store.postgres.store import PostgresStore
from tests.store.pg_support import direct, group, users

Outcome = Stored | SendRefusal


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PostgresStore]:
    engine = PostgresStore(pg_url)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


def _request(sender: str, channel: str, cmid: str, text: str | None = None) -> SendRequest:
    return SendRequest(sender, f"d_{sender}", channel, cmid, cmid if text is None else text, 1)


def _all_at_once(
    store: PostgresStore, requests: list[SendRequest]
) -> list[asyncio.Future[Outcome]]:
    """Queue every send before any is written, as a busy gateway would."""
    return [store.messages.append(r) for r in requests]


async def test_sends_arriving_together_are_one_transaction(store: PostgresStore) -> None:
    await users(store, "a", "b", "c")
    await direct(store, "ab", "a", "b")
    await direct(store, "ac", "a", "c")
    requests = [_request("a" if n % 3 else "b", "ab", f"m{n}") for n in range(150)]
    requests += [_request("c", "ac", f"k{n}") for n in range(50)]
    results = await asyncio.gather(*_all_at_once(store, requests))
    appender = store.messages.appender
    assert (appender.batches, appender.sends) == (1, 200)
    stored = [r for r in results if isinstance(r, Stored)]
    assert len(stored) == 200 and not any(s.duplicate for s in stored)
    # Arrival order within a channel is id order, and each member's seqs follow it.
    assert [s.message.message_id for s in stored[:150]] == list(range(1, 151))
    assert [s.message.message_id for s in stored[150:]] == list(range(1, 51))
    assert sorted(s.cursors["a"] for s in stored) == list(range(1, 201))
    assert [s.cursors["b"] for s in stored[:150]] == list(range(1, 151))
    assert [s.cursors["c"] for s in stored[150:]] == list(range(1, 51))
    entries = await store.messages.inbox_after("a", 0, 500)
    assert [e.seq for e in entries] == list(range(1, 201))
    for channel, count in (("ab", 150), ("ac", 50)):
        ids = [e.message.message_id for e in entries if e.message.channel_id == channel]
        assert ids == list(range(1, count + 1))
    member = await store.channels.get_member("ab", "b")
    assert member is not None and member.last_read_message_id == 148  # their own last one (n = 147)


async def test_refusals_and_repeats_inside_a_batch_are_per_send(store: PostgresStore) -> None:
    await users(store, "a", "b", "c")
    await direct(store, "ab", "a", "b")
    first = await store.messages.append(_request("a", "ab", "before"))
    assert isinstance(first, Stored) and first.message.message_id == 1
    requests = [
        _request("a", "ab", "m1"),
        _request("c", "ab", "intruder"),  # not a member
        _request("a", "nowhere", "lost"),  # no such channel
        _request("a", "ab", "before", text="again"),  # stored in an earlier batch
        _request("a", "ab", "m2"),
        _request("a", "ab", "m1", text="twice"),  # the same key again in this batch
        _request("b", "ab", "m3"),
    ]
    results = await asyncio.gather(*_all_at_once(store, requests))
    assert results[1] is SendRefusal.NOT_MEMBER
    assert results[2] is SendRefusal.NO_CHANNEL
    m1, _, _, before, m2, twice, m3 = results
    assert isinstance(m1, Stored) and isinstance(m2, Stored) and isinstance(m3, Stored)
    assert [m1.message.message_id, m2.message.message_id, m3.message.message_id] == [2, 3, 4]
    assert isinstance(before, Stored) and before.duplicate and before.message == first.message
    assert isinstance(twice, Stored) and twice.duplicate and twice.message == m1.message
    history = await store.messages.history("ab", before=None, after=None, limit=10)
    assert [m.client_msg_id for m in history] == ["before", "m1", "m2", "m3"]
    assert await store.messages.inbox_head("c") == 0


async def test_a_send_the_database_refuses_fails_alone(store: PostgresStore) -> None:
    await users(store, "a", "b")
    await direct(store, "ab", "a", "b")
    requests = [_request("a", "ab", f"m{n}") for n in range(40)]
    requests[17] = _request("a", "ab", "bad", text="nul \x00 byte")  # PostgreSQL text refuses it
    futures = _all_at_once(store, requests)
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(results[17], asyncpg.PostgresError)
    good = [r for n, r in enumerate(results) if n != 17]
    assert all(isinstance(r, Stored) and not r.duplicate for r in good)
    assert sorted(r.message.message_id for r in good if isinstance(r, Stored)) == list(range(1, 40))
    assert await store.messages.inbox_head("b") == 39


async def test_large_group_member_lists_in_batches(store: PostgresStore) -> None:
    await users(store, "o", "a", "b", "c")
    await group(store, "g", "o", ["a", "b", "c"], limit=2)  # fan-out on read
    results = await asyncio.gather(
        *_all_at_once(store, [_request("a" if n % 2 else "b", "g", f"m{n}") for n in range(10)])
    )
    assert all(isinstance(r, Stored) and sorted(r.members) == ["a", "b", "c", "o"] for r in results)
    await store.channels.remove_member("g", "c")
    results = await asyncio.gather(
        *_all_at_once(store, [_request("o", "g", f"k{n}") for n in range(10)])
    )
    assert all(isinstance(r, Stored) and sorted(r.members) == ["a", "b", "o"] for r in results)
    assert [r.message.message_id for r in results if isinstance(r, Stored)] == list(range(11, 21))


async def test_batches_from_two_processes_never_deadlock(pg_url: str) -> None:
    """Two processes' batches touching the same channels and the same members' inboxes,
    in opposite orders: locks are taken in one order, so neither ever waits for the
    other in a cycle (a deadlock would show as a retry)."""
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    await asyncio.gather(first.start(), second.start())
    try:
        people = [f"u{n}" for n in range(8)]
        await users(first, *people)
        pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
        for a, b in pairs:
            await direct(first, f"{a}{b}", a, b)
        requests = [_request(a, f"{a}{b}", f"{a}{b}-{n}") for n in range(6) for a, b in pairs]
        backwards = [
            _request(b, f"{a}{b}", f"{b}{a}-{n}") for n in range(6) for a, b in reversed(pairs)
        ]
        rounds = []
        for _ in range(3):
            rounds.append(_all_at_once(first, requests[: len(requests) // 2]))
            rounds.append(_all_at_once(second, backwards[: len(backwards) // 2]))
            rounds.append(_all_at_once(first, requests[len(requests) // 2 :]))
            rounds.append(_all_at_once(second, backwards[len(backwards) // 2 :]))
            results = await asyncio.gather(*(f for r in rounds for f in r))
            assert all(isinstance(r, Stored) for r in results)
            requests = [
                _request(r.sender_id, r.channel_id, r.client_msg_id + "x") for r in requests
            ]
            backwards = [
                _request(r.sender_id, r.channel_id, r.client_msg_id + "x") for r in backwards
            ]
            rounds = []
        assert first.messages.appender.retries == second.messages.appender.retries == 0
        for user in people:
            entries = await first.messages.inbox_after(user, 0, 1000)
            assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
            assert len(entries) == 3 * 2 * 6 * (len(people) - 1)
        for a, b in pairs:
            history = await second.messages.history(f"{a}{b}", before=None, after=0, limit=200)
            assert [m.message_id for m in history] == list(range(1, 3 * 12 + 1))
    finally:
        await first.close()
        await second.close()


async def test_closing_refuses_sends_still_waiting(store: PostgresStore) -> None:
    await users(store, "a", "b")
    await direct(store, "ab", "a", "b")
    futures = _all_at_once(store, [_request("a", "ab", f"m{n}") for n in range(5)])
    await asyncio.sleep(0)  # the writer takes them and starts the batch
    await store.messages.close()
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, Stored) for r in results)  # the batch being written finished
    late = store.messages.append(_request("a", "ab", "late"))
    with pytest.raises(ChinwagError) as refused:
        await late
    assert refused.value.code is Code.UNAVAILABLE


async def test_the_one_send_function_of_the_previous_version_still_stores(
    store: PostgresStore,
) -> None:
    """Processes of the previous version call chinwag_append during a rolling upgrade."""
    await users(store, "a", "b", "c")
    await direct(store, "ab", "a", "b")
    call = "SELECT * FROM chinwag_append($1, $2, $3, $4, $5, 1, -1)"
    row = await store.db.fetchrow(call, "ab", "a", "d_a", "m1", "hello")
    assert (row["o_outcome"], row["o_message_id"]) == ("stored", 1)
    assert dict(zip(row["o_member_ids"], row["o_seqs"], strict=True)) == {"a": 1, "b": 1}
    again = await store.db.fetchrow(call, "ab", "a", "d_a", "m1", "other")
    assert (again["o_outcome"], again["o_message_id"], again["o_text"]) == ("duplicate", 1, "hello")
    with pytest.raises(asyncpg.PostgresError) as refused:
        await store.db.fetchrow(call, "ab", "c", "d_c", "m2", "intruder")
    assert refused.value.sqlstate == "CW403"
    mixed = await store.messages.append(_request("b", "ab", "m3"))
    assert isinstance(mixed, Stored) and mixed.message.message_id == 2


async def test_a_send_right_after_a_writer_finished_is_written(store: PostgresStore) -> None:
    """The writer that found nothing more to write has stopped, though its task is not yet
    cleaned up: a send queued at that moment must start a writer of its own."""
    await users(store, "a", "b")
    await direct(store, "ab", "a", "b")
    appender = BatchAppender(store.db, max_in_flight=1)
    try:
        first = await appender.append(_request("a", "ab", "m1"))
        second = await asyncio.wait_for(appender.append(_request("a", "ab", "m2")), 30)
        assert isinstance(first, Stored) and isinstance(second, Stored)
        assert second.message.message_id == 2
    finally:
        await appender.close()


async def test_a_closed_channel_refuses_only_its_own_sends(store: PostgresStore) -> None:
    """A direct channel closed to new messages (its users are no longer friends) refuses
    the sends into it, not the rest of the batch; a resend of a message stored before it
    closed still gets the original."""
    await users(store, "a", "b", "c")
    await direct(store, "ab", "a", "b")
    await direct(store, "ac", "a", "c")
    before = await store.messages.append(_request("a", "ab", "early"))
    assert isinstance(before, Stored)
    await store.db.execute("UPDATE channels SET closed = true WHERE id = 'ab'")
    requests = [
        _request("a", "ab", "m1"),
        _request("a", "ac", "m2"),
        _request("b", "ab", "m3"),
        _request("a", "ab", "early"),
        _request("c", "ac", "m4"),
    ]
    results = await asyncio.gather(*_all_at_once(store, requests))
    assert results[0] is SendRefusal.CLOSED and results[2] is SendRefusal.CLOSED
    assert isinstance(results[3], Stored) and results[3].message == before.message
    ids = [r.message.message_id for r in (results[1], results[4]) if isinstance(r, Stored)]
    assert ids == [1, 2]
    channel = await store.channels.get_channel("ab", with_members=False)
    assert channel is not None and channel.last_message_id == 1
    with pytest.raises(asyncpg.PostgresError) as refused:
        await store.db.fetchrow("SELECT * FROM chinwag_append('ab', 'a', 'd_a', 'old', 'x', 1, -1)")
    assert refused.value.sqlstate == "CW423"
