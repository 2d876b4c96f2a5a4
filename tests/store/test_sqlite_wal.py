"""SQLite's write-ahead log stays bounded while writes never stop, and the database stays
sound: the log is checkpointed and restarted each time it passes its limit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from chinwag.store.sqlite.db import Database

LIMIT = 256 << 10
WRITERS = 4
ROW = "x" * 3000  # one page of the log per row, about


async def test_wal_stays_bounded_under_continuous_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = Database(path, wal_limit=LIMIT)
    db.start(asyncio.get_running_loop())
    written = 0
    largest = 0
    try:
        await db.write(lambda c, s: c.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))

        async def writer() -> None:
            nonlocal written, largest
            # Writes without a pause between them, until the log has been restarted
            # eight times: each restart happens past half the limit, so at least four
            # limits' worth of log have been written.
            while db.wal_restarts + db.wal_forced < 8:
                await db.write(lambda c, s: c.execute("INSERT INTO t (v) VALUES (?)", (ROW,)))
                written += 1
                largest = max(largest, db.wal_path.stat().st_size)

        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        # The writer checks after every commit: at most one batch (WRITERS rows here,
        # plus the pages above them) past the limit.
        assert largest <= LIMIT + 64 * 1024, (largest, LIMIT)
    finally:
        await db.close()
    _assert_sound(path, written)


async def test_wal_stays_bounded_while_only_background_work_writes(tmp_path: Path) -> None:
    # After a burst of sends the writer keeps writing on its own (the search index's
    # merges, step after step, with no job between): those commits must bound the log
    # too. They once went unseen by the checkpoints, which waited for a job's commit.
    path = tmp_path / "db.sqlite"
    db = Database(path, wal_limit=LIMIT)
    db.start(asyncio.get_running_loop())
    steps = 8 * LIMIT // (16 * len(ROW))  # eight limits' worth of log, 16 rows a step
    done = 0

    def step(conn: sqlite3.Connection, busy: bool, quiet: bool) -> bool:
        nonlocal done
        if done >= steps:
            return False
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(ROW,)] * 16)
        done += 1
        return True

    largest = 0
    try:
        await db.write(lambda c, s: c.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        db.run_in_background(step)
        while done < steps:
            largest = max(largest, db.wal_size())
            await asyncio.sleep(0.002)
        largest = max(largest, db.wal_size())
        assert largest <= LIMIT + 128 * 1024, (largest, LIMIT)
    finally:
        await db.close()
    _assert_sound(path, 16 * steps)


def _assert_sound(path: Path, rows: int) -> None:
    """The database passes SQLite's integrity check and holds every row written."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == rows
    finally:
        conn.close()
