"""SQLite search indexing off the send path: messages wait in search_pending until the
indexer's thread takes them; search finds them either way, with their current text, and
a backlog left at shutdown is indexed after the restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from chinwag.messaging.models import Delete, Edit, Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import group, stored, users


async def _pending(store: SqliteStore) -> int:
    """Queue entries the index has not taken yet."""

    def count(conn: Any) -> int:
        n: int = conn.execute(
            "SELECT count(*) FROM search_pending WHERE id > (SELECT upto FROM search.search_state)"
        ).fetchone()[0]
        return n

    return await store.db.read(count)


async def _indexed(store: SqliteStore) -> None:
    """Wait until the writer has indexed every pending message."""

    async def drained() -> bool:
        return await _pending(store) == 0

    await wait_for(drained, timeout=30)


async def _texts(store: SqliteStore, user: str, q: str, limit: int = 50) -> list[str]:
    found: list[Message] = await store.messages.search(
        SearchQuery(user, tuple(q.split()), limit=limit)
    )
    return [m.text for m in found]


async def test_pending_and_indexed_messages_are_found_and_a_backlog_survives_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    held = SqliteStore(path)
    held.indexer.start = lambda: None  # type: ignore[method-assign]  # no indexer
    await held.start()
    try:
        a, b = await users(held, "a", "b")
        await group(held, a, [b])
        keep = await stored(held, a, "g1", "m1", text="plain alpha words")
        edit = await stored(held, a, "g1", "m2", text="old alpha words")
        gone = await stored(held, a, "g1", "m3", text="secret alpha words")
        await held.messages.change("g1", edit.message.message_id, Edit("new alpha words", (), 200))
        await held.messages.change("g1", gone.message.message_id, Delete())
        assert await _pending(held) == 5  # nothing was indexed: 3 sends, 2 changes
        assert await _texts(held, b, "alpha words") == ["new alpha words", "plain alpha words"]
        assert await _texts(held, b, "old") == await _texts(held, b, "secret") == []
    finally:
        await held.close()

    store = SqliteStore(path)
    await store.start()
    try:
        await _indexed(store)  # the backlog of the last run
        assert await _texts(store, b, "alpha words") == ["new alpha words", "plain alpha words"]
        assert await _texts(store, b, "old") == await _texts(store, b, "secret") == []
        # Changes to indexed messages reach the index.
        await store.messages.change("g1", keep.message.message_id, Edit("plain beta", (), 300))
        await store.messages.change("g1", edit.message.message_id, Delete())
        assert await _texts(store, b, "alpha") == []
        assert await _texts(store, b, "beta") == ["plain beta"]
    finally:
        await store.close()


async def test_a_burst_of_sends_is_found_at_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        n = 300
        await asyncio.gather(
            *(stored(store, a, "g1", f"m{i}", text=f"burst item{i:04d}") for i in range(n))
        )
        # Some of the burst may be indexed and some not yet: search sees all of it.
        newest = await _texts(store, b, "burst", limit=100)
        assert newest == [f"burst item{i:04d}" for i in reversed(range(n - 100, n))]
        for i in range(0, n, 7):
            assert await _texts(store, b, f"item{i:04d}") == [f"burst item{i:04d}"]
        await _indexed(store)
        assert await _texts(store, b, "burst", limit=100) == newest
    finally:
        await store.close()
