"""The SQLite writer's background work at low concurrency: one sender waiting for each
ack leaves the writer idle after every commit, yet background work (taking indexed
entries off the search queue) runs in batches, not once per commit, and the index
still catches up once sends stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chinwag.messaging.models import Message
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


async def test_one_sender_at_a_time_does_not_get_a_background_step_per_commit(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])

        async def settled() -> bool:
            return await _pending(store) == 0

        await wait_for(settled, timeout=30)
        commits, steps = store.db.commits, store.db.background_runs
        n = 60
        for i in range(n):  # window 1: each send waits for its commit
            await stored(store, a, "g1", f"m{i}", text=f"lonely item{i:03d}")
        assert store.db.commits - commits >= n
        # A step per idle moment would be one per commit; a pause of the machine longer
        # than the idle delay may still let a few run.
        assert store.db.background_runs - steps < n // 3
        found: list[Message] = await store.messages.search(SearchQuery(b, ("lonely",), limit=100))
        assert [m.text for m in found] == [f"lonely item{i:03d}" for i in reversed(range(n))]
        await wait_for(settled, timeout=30)  # indexed once the sender stops
    finally:
        await store.close()
