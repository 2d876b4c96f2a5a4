"""Search cost follows the caller's channels, not the store: matches in channels the
caller is not in are never read. Counted, not timed: SQLite's virtual machine steps
for one search, PostgreSQL's rows read from the message tables in its transaction. A
store with twice as many matches elsewhere costs the caller's search the same."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from chinwag.messaging.search import SearchQuery
from chinwag.store.base import Store
from chinwag.store.postgres import search as pg_search
from chinwag.store.postgres.store import PostgresStore
from chinwag.store.sqlite import search as sqlite_search
from chinwag.store.sqlite import searchfile
from chinwag.store.sqlite.store import SqliteStore
from tests.store.test_conformance import group, stored, users
from tests.store.test_sqlite_search import _indexed

QUERY = SearchQuery("u_a", ("alpha", "words"))


async def _fill(store: Store) -> None:
    """u_a sees one match in g1; u_c's channel g2 has 100 matches (newer), none visible
    to u_a."""
    a, b, c, d = await users(store, "a", "b", "c", "d")
    await group(store, a, [b])
    await group(store, c, [d], cid="g2")
    await stored(store, a, "g1", "mine", text="some alpha words of mine")
    await _more(store, 0)


async def _more(store: Store, start: int) -> None:
    await asyncio.gather(
        *(
            stored(store, "u_c", "g2", f"x{i}", text=f"alpha words {i}")
            for i in range(start, start + 100)
        )
    )


def _optimize(path: Path) -> None:
    """Merge the index (in its own file) to one segment."""
    conn = searchfile.open_index(path)
    try:
        conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")
    finally:
        conn.close()


async def test_sqlite_search_reads_only_the_callers_channels(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        await _fill(store)

        async def steps() -> int:
            await _indexed(store)
            # One segment each time: a query seeks once per segment, and how many
            # there are depends on when the background merges ran, not on the query.
            _optimize(store.db.path)

            def run(conn: sqlite3.Connection) -> int:
                count = [0]

                def tick() -> int:
                    count[0] += 1
                    return 0

                conn.set_progress_handler(tick, 1)
                try:
                    found = sqlite_search.search(conn, QUERY)
                finally:
                    conn.set_progress_handler(None, 0)
                assert [m.text for m in found] == ["some alpha words of mine"]
                return count[0]

            return await store.db.read(run)

        before = await steps()
        await _more(store, 100)
        assert await steps() <= before * 1.05 + 20, before
    finally:
        await store.close()


async def test_postgres_search_reads_only_the_callers_channels(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    await store.start()
    try:
        await _fill(store)

        async def rows_read() -> int:
            async with store.db.connection() as conn, conn.transaction():
                found = await pg_search.search(conn, QUERY)
                assert [m.text for m in found] == ["some alpha words of mine"]
                n: Any = await conn.fetchval(
                    "SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + seq_tup_read), 0)"
                    " FROM pg_stat_xact_user_tables WHERE relname LIKE 'messages%'"
                )
                return int(n)

        before = await rows_read()
        await _more(store, 100)
        assert await rows_read() <= before + 5, before
    finally:
        await store.close()
