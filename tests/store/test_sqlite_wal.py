"""SQLite's write-ahead log stays bounded while writes never stop, and the database stays
sound: the log is checkpointed and restarted each time it passes its limit."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from chinwag.errors import ChinwagError
from chinwag.store.sqlite import db as db_module
from chinwag.store.sqlite.db import Database
from tests.helpers.wait import wait_for

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


async def test_copied_pages_are_synced_before_a_restart_holds_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite syncs the database file only after a checkpoint that copied all of the log,
    # which never happens while commits follow each other: every page copied since the
    # last restart was synced by the restart itself, with the writer held. The checkpoint
    # thread syncs what each of its passes copied, beside the writer, instead.
    path = tmp_path / "db.sqlite"
    synced: list[tuple[int, bool]] = []

    def db_fsync(fd: int) -> None:
        synced.append((os.fstat(fd).st_ino, db._gate_wanted))
        os.fdatasync(fd)

    # Passes only once the log is past half its limit (a restart), none on a timer.
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 3600.0)
    db = Database(path, wal_limit=LIMIT, db_fsync=db_fsync)
    db.start(asyncio.get_running_loop())
    written = 0

    async def insert() -> None:
        nonlocal written
        await db.write(lambda c, s: c.execute("INSERT INTO t (v) VALUES (?)", (ROW,)))
        written += 1

    try:
        await db.write(lambda c, s: c.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        for n in range(1, 4):
            await insert()
            async with _passes_left_behind(path):
                await _until(insert, lambda: db.wal_size() > LIMIT // 2)
                await wait_for(lambda n=n: db.db_syncs >= n)
            await _until(insert, lambda r=db.wal_restarts: db.wal_restarts > r)
        # The database file, never while the writer is held for a restart.
        assert synced == [(path.stat().st_ino, False)] * db.db_syncs
    finally:
        await db.close()
    _assert_sound(path, written)


async def test_a_failed_sync_of_the_database_file_stops_restarts_and_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If the checkpoint thread's sync of the pages it copied fails, they may be gone while
    # a later sync succeeds; only the log still holds them for sure, so it must never be
    # restarted again, and no write is answered as done from then on.
    path = tmp_path / "db.sqlite"
    failed = threading.Event()

    def db_fsync(fd: int) -> None:
        failed.set()
        raise OSError(errno.EIO, "simulated write-back failure")

    # Passes only once the log is past half its limit (a restart), none on a timer.
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 3600.0)
    db = Database(path, wal_limit=LIMIT, db_fsync=db_fsync)
    db.start(asyncio.get_running_loop())

    async def insert() -> None:
        await db.write(lambda c, s: c.execute("INSERT INTO t (v) VALUES (?)", (ROW,)))

    async def insert_until_failed() -> None:
        # A pass may begin (and fail) while the last writes before the half are in
        # flight; they are refused then, which is what comes next anyway.
        try:
            await insert()
        except ChinwagError:
            if not failed.is_set():
                raise

    try:
        await db.write(lambda c, s: c.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        await insert()
        async with _passes_left_behind(path):
            await _until(insert_until_failed, lambda: db.wal_size() > LIMIT // 2 or failed.is_set())
            await wait_for(failed.is_set)
        restarts = db.wal_restarts + db.wal_forced
        for _ in range(4 * LIMIT // len(ROW)):  # writes reach the log, never answered
            with pytest.raises(ChinwagError) as refused:
                await insert()
            assert refused.value.code == "unavailable"
        assert db.wal_restarts + db.wal_forced == restarts
        assert db.wal_size() > 2 * LIMIT  # outgrown rather than restarted
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def _passes_left_behind(path: Path) -> AsyncIterator[None]:
    """A reader holds its snapshot: checkpoints copy no frame written after it, so every
    pass leaves frames behind (as passes do while commits follow each other). The log
    must hold a frame no checkpoint copied yet, or the reader reads only the database
    file and holds back every copy; and writes must stop short of the limit, past which
    the writer would wait for the reader to restart the log itself."""
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()
        yield
        reader.execute("COMMIT")
    finally:
        reader.close()


async def _until(write: Callable[[], Awaitable[None]], done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not done():
        assert time.monotonic() < deadline, "not reached in time"
        await write()


def _assert_sound(path: Path, rows: int) -> None:
    """The database passes SQLite's integrity check and holds every row written."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == rows
    finally:
        conn.close()
