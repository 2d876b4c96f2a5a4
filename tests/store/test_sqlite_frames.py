"""What a send writes to SQLite's log at window 1, counted in frames (pages): each
message of a commit is in another conversation, so any row a send touches costs a page
of its own. The sender's read marker (migrations/0012), the idempotency key (claims.py),
the inbox entries (inbox.py) and the history's row (history.py) no longer cost one each
in the send's own transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from chinwag.store.sqlite import walframes
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import befriend, stored, users

SENDERS = 40
ROUNDS = 20  # fewer than the read marker's slack: no send needs to move it


async def _frames_of_sends(store: SqliteStore, path: Path) -> Counter[str]:
    """Frames written while every sender sends ROUNDS messages, each waiting for its
    ack, by what their pages belong to."""
    names = [f"s{n:02d}" for n in range(SENDERS)] + [f"p{n:02d}" for n in range(SENDERS)]
    ids = await users(store, *names)
    for n in range(SENDERS):
        await befriend(store, ids[n], ids[SENDERS + n])
        await store.channels.direct_channel(f"c{n:02d}", ids[n], ids[SENDERS + n], 1)
    # Held open for the count: the log is not restarted under it.
    held = sqlite3.connect(str(path), isolation_level=None)
    try:
        held.execute("BEGIN")
        held.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        first = walframes.frame_count(store.db.wal_path)

        async def sender(n: int) -> None:
            for i in range(ROUNDS):
                await stored(store, ids[n], f"c{n:02d}", f"m{i}")

        await asyncio.gather(*(sender(n) for n in range(SENDERS)))
        end = walframes.frame_count(store.db.wal_path)
        pages = walframes.pages(store.db.wal_path, first, end)
        held.execute("COMMIT")
    finally:
        held.close()
    now = sqlite3.connect(str(path))
    try:
        owners = walframes.owners(now)
    finally:
        now.close()
    return Counter(owners.get(p, "?") for p in pages)


async def test_sends_at_window_1_write_no_page_of_read_markers_or_keys(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SqliteStore(path)
    await store.start()
    try:
        # The background step (indexing, and writing the keys of many sends at once)
        # waits, so only the sends' own transactions are counted.
        step = store.db._background
        assert step is not None
        store.db._background = None
        frames = await _frames_of_sends(store, path)
        messages = SENDERS * ROUNDS
        # The count sees the sends.
        assert frames["messages_recent"] > 0 and frames["inbox_recent"] > 0, frames
        # Before: a leaf of the history per message, and about as many again for the
        # leaves SQLite rebalanced; now appended where a commit's rows share pages (and
        # the small index's leaves), and moved into `messages_main` by the step.
        assert frames["messages_main"] == 0, frames
        assert frames["messages_recent"] + frames["messages_recent_key"] <= messages // 4, frames
        # Before: a page of `inbox` per entry, two a message; now appended where a
        # commit's entries share pages, and moved into `inbox` by the step.
        assert frames["inbox"] == 0, frames
        assert frames["inbox_recent"] <= messages // 4, frames
        # Before: every commit moved each sender's marker, a page of `members` (or more)
        # per commit; now none, while the markers clients see are the same.
        assert frames["members"] == 0, frames
        # Before: a page of `sends` per device of the commit; now written by the step.
        assert frames["sends"] == 0, frames
        for n in range(SENDERS):
            views = await store.channels.channels_of(f"u_s{n:02d}", member_list_limit=3)
            assert [(v.last_read_message_id, v.unread) for v in views] == [(ROUNDS, 0)]
            peer = await store.channels.channels_of(f"u_p{n:02d}", member_list_limit=3)
            assert [(v.last_read_message_id, v.unread) for v in peer] == [(0, ROUNDS)]
        store.db.run_in_background(step)  # every key is written once the step runs
        await store.db.write(lambda conn, state: None)  # a commit: the step has work

        async def written() -> bool:
            n: int = await store.db.read(
                lambda c: c.execute("SELECT count(*) FROM sends").fetchone()[0]
            )
            return n == messages

        await wait_for(written, timeout=30)
    finally:
        await store.close()
