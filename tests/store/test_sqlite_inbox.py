"""SQLite's inbox entries wait in `inbox_recent` and move into `inbox` in the writer's
background step (store/sqlite/inbox.py): readers see every entry exactly once at every
stage, and seqs continue gapless across a restart with entries still waiting."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chinwag.messaging.models import Delete
from chinwag.store.sqlite import inbox
from chinwag.store.sqlite.db import WriterState
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import befriend, stored, users


async def _counts(store: SqliteStore) -> tuple[int, int]:
    def q(conn: sqlite3.Connection) -> tuple[int, int]:
        moved = conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM inbox_recent").fetchone()[0]
        return moved, waiting

    return await store.db.read(q)


async def _view(store: SqliteStore, user: str) -> list[tuple[int, str, int, str | None]]:
    entries = await store.messages.inbox_after(user, 0, 1000)
    head = await store.messages.inbox_head(user)
    seqs = [e.seq for e in entries]
    assert seqs == list(range(1, len(seqs) + 1)) and head == len(seqs), (seqs, head)
    return [(e.seq, e.message.channel_id, e.message.message_id, e.event) for e in entries]


async def _world(store: SqliteStore) -> list[str]:
    a, b, c = await users(store, "a", "b", "c")
    for one, other, cid in ((a, b, "ab"), (a, c, "ac"), (b, c, "bc")):
        await befriend(store, one, other)
        await store.channels.direct_channel(cid, one, other, 1)
    return [a, b, c]


async def _send_round(store: SqliteStore, a: str, b: str, c: str, n: int) -> None:
    await stored(store, a, "ab", f"ab{n}")
    await stored(store, c, "ac", f"ac{n}")
    await stored(store, b, "bc", f"bc{n}")


async def _sent(store: SqliteStore, *, rounds: int) -> list[str]:
    """The world after `rounds` rounds of sends, with the background step off (each test
    runs the moves itself)."""
    store.db._background = None
    a, b, c = await _world(store)
    for n in range(rounds):
        await _send_round(store, a, b, c, n)
    return [a, b, c]


async def test_entries_wait_then_move_and_read_the_same_at_every_step(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b, c = await _sent(store, rounds=6)
        # A change takes an entry per member too.
        assert not isinstance(await store.messages.change("ab", 2, Delete()), Exception)
        assert await _counts(store) == (0, 38)
        expected = {u: await _view(store, u) for u in (a, b, c)}
        assert [e[3] for e in expected[a]].count("deleted") == 1

        move = inbox.move(store.db.state, gather=10, chunk=7)
        steps = []
        while True:
            more = await store.db.write(lambda conn, _s: move(conn, False, False))
            steps.append(await _counts(store))
            assert {u: await _view(store, u) for u in (a, b, c)} == expected
            if not more:
                break
        # One step a user here (13 entries each, and 12: more than `chunk`, never split).
        assert steps == [(13, 25), (26, 12), (38, 0)]
        # Sends go on from the seqs taken, wherever their entries now are.
        await _send_round(store, a, b, c, 6)
        assert len(await _view(store, a)) == len(expected[a]) + 2
        # Fewer than `gather` wait: no move, unless the writer is quiet.
        assert await store.db.write(lambda conn, _s: move(conn, True, False)) is False
        assert await _counts(store) == (38, 6)
        while await store.db.write(lambda conn, _s: move(conn, False, True)):
            pass
        assert await _counts(store) == (44, 0)
        assert len(await _view(store, b)) == len(expected[b]) + 2
    finally:
        await store.close()


async def test_seqs_go_on_after_a_restart_with_entries_waiting(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SqliteStore(path)
    await store.start()
    try:
        a, b, c = await _sent(store, rounds=4)
        half = await store.db.write(
            lambda conn, _s: inbox.move(store.db.state, gather=4, chunk=4)(conn, False, False)
        )
        assert half is True and await _counts(store) == (8, 16)  # one user of three
    finally:
        await store.close()

    store = SqliteStore(path)  # a new writer: its caches know no seq
    await store.start()
    try:
        await _send_round(store, a, b, c, 4)
        views = {u: await _view(store, u) for u in (a, b, c)}  # gapless, no seq twice
        assert [len(v) for v in views.values()] == [10, 10, 10]

        async def all_moved() -> bool:  # the quiet writer's step
            return await _counts(store) == (30, 0)

        await wait_for(all_moved, timeout=30)
        assert {u: await _view(store, u) for u in (a, b, c)} == views
    finally:
        await store.close()


def test_a_cleared_writer_state_seeds_from_both_tables(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
    for table in ("inbox", "inbox_recent"):
        conn.execute(
            f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, user_id TEXT, seq INTEGER,"
            " channel_id TEXT, message_id INTEGER, event TEXT)"
        )
    conn.execute("INSERT INTO inbox (user_id, seq) VALUES ('u', 1), ('u', 2), ('v', 1)")

    def where() -> list[tuple[str, str, int]]:
        return conn.execute(
            "SELECT 'inbox', user_id, seq FROM inbox WHERE seq > 2 OR user_id != 'u'"
            " UNION ALL SELECT 'recent', user_id, seq FROM inbox_recent ORDER BY 2, 3"
        ).fetchall()

    state = WriterState()
    state.batch += 1
    inbox.append(conn, state, [("u", 3, "c", 3, None), ("v", 2, "c", 3, None)])
    state.batch += 1  # one entry a user: the next transaction's wait too
    inbox.append(conn, state, [("u", 4, "c", 4, None)])
    inbox.append(conn, state, [("u", 5, "c", 5, None)])
    state.batch += 1  # two a user: the next transaction's go straight in
    inbox.append(conn, state, [("u", 6, "c", 6, None)])
    assert where() == [
        ("recent", "u", 3),
        ("recent", "u", 4),
        ("recent", "u", 5),
        ("inbox", "u", 6),
        ("inbox", "v", 1),
        ("recent", "v", 2),
    ]
    assert [inbox.take_seq(conn, state, u) for u in ("u", "v", "w", "u")] == [7, 3, 1, 8]
    state.clear()  # as after a failed transaction: seeds from both tables again
    state.batch += 1
    inbox.append(conn, state, [("u", 8, "c", 8, None), ("v", 3, "c", 8, None)])
    assert [inbox.take_seq(conn, state, u) for u in ("u", "v")] == [9, 4]
    # Past RECENT_MAX waiting, entries go straight into `inbox`: seeds still see them.
    state.clear()
    state.batch += 1
    state.recent_waiting = inbox.RECENT_MAX
    inbox.append(conn, state, [("u", 9, "c", 9, None), ("v", 4, "c", 9, None)])
    assert ("inbox", "u", 9) in where() and ("inbox", "v", 4) in where()
    state.clear()
    assert [inbox.take_seq(conn, state, u) for u in ("u", "v")] == [10, 5]


async def test_a_burst_past_the_most_waiting_goes_straight_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "RECENT_MAX", 7)
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b, c = await _sent(store, rounds=4)
        moved, waiting = await _counts(store)
        assert waiting <= 7 and moved + waiting == 24
        views = {u: await _view(store, u) for u in (a, b, c)}
        assert [len(v) for v in views.values()] == [8, 8, 8]
        move = inbox.move(store.db.state, gather=1, chunk=100)
        while await store.db.write(lambda conn, _s: move(conn, False, False)):
            pass
        assert await _counts(store) == (24, 0)
        assert {u: await _view(store, u) for u in (a, b, c)} == views
        await _send_round(store, a, b, c, 4)  # counted again after the move: waits
        assert await _counts(store) == (24, 6)
    finally:
        await store.close()
