"""SQLite's new messages wait in `messages_recent` and move into `messages_main` in the
writer's background step (store/sqlite/history.py): every reader sees each message
exactly once, as it is, at every stage; edits reach it wherever it is; ids go on
gapless across a restart with messages still waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from chinwag.messaging.models import Delete, Edit, React
from chinwag.messaging.search import SearchQuery
from chinwag.store.sqlite import history
from chinwag.store.sqlite import search as search_module
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import befriend, group, stored, users

CHANNELS = ("ab", "ac", "g1")


async def _counts(store: SqliteStore) -> tuple[int, int]:
    def q(conn: Any) -> tuple[int, int]:
        moved = conn.execute("SELECT count(*) FROM messages_main").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM messages_recent").fetchone()[0]
        return moved, waiting

    return await store.db.read(q)


async def _world(store: SqliteStore) -> list[str]:
    """Three users, two direct channels and a group, with the background step off (each
    test runs the moves itself)."""
    store.db._background = None
    a, b, c = await users(store, "a", "b", "c")
    for other, cid in ((b, "ab"), (c, "ac")):
        await befriend(store, a, other)
        await store.channels.direct_channel(cid, a, other, 1)
    await group(store, a, [b, c])
    return [a, b, c]


async def _round(store: SqliteStore, a: str, b: str, c: str, n: int) -> None:
    await stored(store, a, "ab", f"ab{n}", text=f"hello ab {n}")
    await stored(store, c, "ac", f"ac{n}", text=f"hello ac {n}")
    await stored(store, b, "g1", f"g{n}", text=f"hello group {n}")


async def _view(store: SqliteStore, people: list[str]) -> dict[str, object]:
    """Everything a reader can see of the history."""
    seen: dict[str, object] = {}
    for cid in CHANNELS:
        whole = await store.messages.history(cid, before=None, after=None, limit=100)
        ids = [m.message_id for m in whole]
        assert ids == list(range(1, len(ids) + 1)), (cid, ids)  # each once, in order
        seen[f"history {cid}"] = whole
        seen[f"older {cid}"] = await store.messages.history(cid, before=5, after=None, limit=3)
        seen[f"newer {cid}"] = await store.messages.history(cid, before=None, after=2, limit=3)
        seen[f"one {cid}"] = [await store.messages.message(cid, m) for m in ids]
    for user in people:
        seen[f"inbox {user}"] = await store.messages.inbox_after(user, 0, 1000)
        views = await store.channels.channels_of(user, member_list_limit=5)
        seen[f"channels {user}"] = sorted(
            (v.channel.id, v.channel.last_message_id, v.last_read_message_id, v.unread)
            for v in views
        )
        found = await store.messages.search(SearchQuery(user, ("hello",), limit=100))
        seen[f"search {user}"] = sorted((m.channel_id, m.message_id, m.text) for m in found)
    return seen


async def test_messages_wait_then_move_and_read_the_same_at_every_step(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        people = await _world(store)
        a, b, c = people
        for n in range(6):
            await _round(store, a, b, c, n)
        # Changes reach a message that waits.
        assert not isinstance(
            await store.messages.change("ab", 2, Edit("hello edited", (), 200)), Exception
        )
        assert not isinstance(await store.messages.change("ac", 3, Delete()), Exception)
        assert not isinstance(
            await store.messages.change("g1", 1, React(c, "+1", True, 300)), Exception
        )
        assert await _counts(store) == (0, 18)
        expected = await _view(store, people)
        texts = [m.text for m in expected["history ab"]]  # type: ignore[attr-defined]
        assert texts[1] == "hello edited"
        assert ("ac", 3) not in {(m[0], m[1]) for m in expected[f"search {a}"]}  # type: ignore[attr-defined]

        move = history.move(gather=10, chunk=7)
        steps = []
        while True:
            more = await store.db.write(lambda conn, _s: move(conn, False, False))
            steps.append(await _counts(store))
            assert await _view(store, people) == expected
            if not more:
                break
        # A conversation a step here (6 rows each, under `chunk`: never split).
        assert steps == [(6, 12), (12, 6), (18, 0)]

        # Sends go on from the ids taken, and changes reach a moved message too.
        await _round(store, a, b, c, 6)
        assert not isinstance(
            await store.messages.change("ab", 3, Edit("hello again", (), 400)), Exception
        )
        assert not isinstance(await store.messages.change("g1", 2, Delete()), Exception)
        after = await _view(store, people)
        ab = after["history ab"]
        assert [m.message_id for m in ab] == list(range(1, 8))  # type: ignore[attr-defined]
        assert ab[2].text == "hello again"  # type: ignore[index]
        assert after["history g1"][1].deleted  # type: ignore[index]
        # Fewer than `gather` wait: no move, unless the writer is quiet.
        assert await store.db.write(lambda conn, _s: move(conn, True, False)) is False
        assert await _counts(store) == (18, 3)
        while await store.db.write(lambda conn, _s: move(conn, False, True)):
            pass
        assert await _counts(store) == (21, 0)
        assert await _view(store, people) == after
    finally:
        await store.close()


async def test_ids_go_on_after_a_restart_with_messages_waiting(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SqliteStore(path)
    await store.start()
    try:
        people = await _world(store)
        a, b, c = people
        for n in range(4):
            await _round(store, a, b, c, n)
        half = await store.db.write(
            lambda conn, _s: history.move(gather=4, chunk=4)(conn, False, False)
        )
        assert half is True and await _counts(store) == (4, 8)  # one conversation of three
    finally:
        await store.close()

    store = SqliteStore(path)  # a new writer: its caches know no message id
    await store.start()
    try:
        await _round(store, a, b, c, 4)
        seen = await _view(store, people)  # gapless: no id taken twice
        assert [len(seen[f"history {cid}"]) for cid in CHANNELS] == [5, 5, 5]  # type: ignore[arg-type]

        async def all_moved() -> bool:  # the quiet writer's step
            return await _counts(store) == (15, 0)

        await wait_for(all_moved, timeout=30)
        assert await _view(store, people) == seen
    finally:
        await store.close()


async def test_a_member_added_again_while_messages_wait(tmp_path: Path) -> None:
    # What they sent before leaving does not count as read once they are back: their
    # membership begins after the newest message, wherever it waits.
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b, _ = await _world(store)
        await stored(store, b, "g1", "b0")  # 1
        await store.channels.remove_member("g1", b)
        await stored(store, a, "g1", "a0")  # 2
        await stored(store, a, "g1", "a1")  # 3
        assert await _counts(store) == (0, 3)
        await store.channels.add_member("g1", b, 500, 100, 10, added_by=a)
        views = await store.channels.channels_of(b, member_list_limit=5)
        assert [(v.channel.id, v.last_read_message_id, v.unread) for v in views] == [
            ("ab", 0, 0),
            ("g1", 0, 3),
        ]
    finally:
        await store.close()


async def test_after_several_messages_a_conversation_rows_go_straight_in(tmp_path: Path) -> None:
    # Window 16: a commit writes each conversation's page once for many messages, so
    # the next one writes straight into the history; a move then has nothing to do.
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b, c = await _world(store)

        async def burst(tag: str) -> None:  # one loop turn: one transaction
            await asyncio.gather(
                *(stored(store, a, "ab", f"{tag}{n}", text=f"hello {tag} {n}") for n in range(4))
            )

        await burst("x")  # after single sends: gathered
        assert await _counts(store) == (0, 4)
        await burst("y")  # after four a conversation: straight in
        assert await _counts(store) == (4, 4)
        await stored(store, a, "ab", "z0", text="hello z")  # after four again: straight in
        assert await _counts(store) == (5, 4)
        await stored(store, a, "ab", "z1", text="hello z")  # after one: gathered again
        assert await _counts(store) == (5, 5)
        # Wherever each went, it went with what a send writes beside it: found by search
        # (its queue entry), and its sender's marker moved on.
        seen = await _view(store, [a, b, c])
        assert [m.message_id for m in seen["history ab"]] == list(range(1, 11))  # type: ignore[attr-defined]
        assert len([m for m in seen[f"search {b}"] if m[0] == "ab"]) == 10  # type: ignore[attr-defined]
        views = await store.channels.channels_of(a, member_list_limit=5)
        assert [(v.channel.id, v.last_read_message_id) for v in views if v.channel.id == "ab"] == [
            ("ab", 10)
        ]
    finally:
        await store.close()


async def test_search_reads_the_unindexed_tail_once(tmp_path: Path) -> None:
    """The tail of messages the index has not taken is joined with both of the history's
    tables at once: joined with the view, it was read and indexed once for each."""
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b, c = await _world(store)
        await _round(store, a, b, c, 0)
        statements: list[str] = []

        def q(conn: Any) -> tuple[list[Any], list[str]]:
            conn.set_trace_callback(statements.append)
            try:
                found = search_module.search(conn, SearchQuery(a, ("hello",), limit=10))
            finally:
                conn.set_trace_callback(None)
            tail = next(s for s in statements if "FROM search_pending WHERE id >" in s)
            plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + tail)]
            return found, plan

        found, plan = await store.db.read(q)
        assert sorted(m.channel_id for m in found) == ["ab", "ac", "g1"]
        assert sum("search_pending" in step for step in plan) == 1, plan
    finally:
        await store.close()
