"""Pipelined durable commits on SQLite: COMMIT returns before the disk has the log, so
nothing may be answered (a write's outcome, a read of what it wrote) before a sync of the
log that began after that COMMIT returned has completed; and the next batch is committed
while the previous one's sync is under way."""

from __future__ import annotations

import asyncio
import errno
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from chinwag.errors import ChinwagError
from chinwag.store.sqlite.db import Database, WriterState
from tests.helpers.wait import wait_for


class HeldSync:
    """The real fdatasync, each call held until the test lets it through."""

    def __init__(self, fail: bool = False) -> None:
        self.entered = 0
        self.inodes: list[int] = []
        self._go = threading.Semaphore(0)
        self._fail = fail

    def __call__(self, fd: int) -> None:
        self.entered += 1
        self._go.acquire()
        self.inodes.append(os.fstat(fd).st_ino)
        if self._fail:
            raise OSError(errno.EIO, "simulated write-back failure")
        os.fdatasync(fd)

    def release(self, n: int = 1) -> None:
        self._go.release(n)


def _insert(v: int) -> Any:
    def job(conn: sqlite3.Connection, state: WriterState) -> int:
        conn.execute("INSERT INTO t (v) VALUES (?)", (v,))
        return v

    return job


def _create(conn: sqlite3.Connection, state: WriterState) -> None:
    conn.execute("CREATE TABLE t (v INTEGER)")


async def test_nothing_is_answered_before_a_sync_that_began_after_its_commit(
    tmp_path: Path,
) -> None:
    sync = HeldSync()
    db = Database(tmp_path / "db.sqlite", fsync=sync)
    db.start(asyncio.get_running_loop())
    try:
        first = db.write(_create)
        await wait_for(lambda: sync.entered == 1)  # committed; its sync is held
        assert db.commits == 1
        second = db.write(_insert(7))
        # The writer does not wait for the held sync: the next batch commits beside it.
        await wait_for(lambda: db.commits == 2)
        await asyncio.sleep(0.05)
        assert not first.done() and not second.done()

        sync.release()  # the first sync began before the second commit returned
        await first
        await wait_for(lambda: sync.entered == 2)
        assert not second.done()

        # A read that sees the second commit waits for its sync as well.
        read_done = threading.Event()

        def count(conn: sqlite3.Connection) -> int:
            n: int = conn.execute("SELECT count(*) FROM t").fetchone()[0]
            read_done.set()
            return n

        read = asyncio.ensure_future(db.read(count))
        await wait_for(read_done.is_set)
        await asyncio.sleep(0.05)
        assert not read.done() and not second.done()

        sync.release()
        assert await second == 7
        assert await read == 1
        assert set(sync.inodes) == {db.wal_path.stat().st_ino}  # the log is what is synced
    finally:
        sync.release(1000)
        await db.close()


async def test_a_failed_sync_answers_every_later_write_with_an_error(tmp_path: Path) -> None:
    sync = HeldSync(fail=True)
    db = Database(tmp_path / "db.sqlite", fsync=sync)
    db.start(asyncio.get_running_loop())
    sync.release(1000)
    try:
        with pytest.raises(ChinwagError) as first:
            await db.write(_create)
        assert first.value.code == "unavailable"
        # The pages that sync was flushing may be gone although a later sync succeeds:
        # no later write is acknowledged either.
        with pytest.raises(ChinwagError):
            await db.write(_insert(1))
        assert sync.entered == 1
    finally:
        await db.close()
