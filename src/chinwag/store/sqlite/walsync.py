"""Durability for the writer's commits, one log sync behind them (pipelined commits).

The writer commits with `synchronous=NORMAL`: COMMIT appends the transaction's frames to
the write-ahead log and returns without waiting for the disk. This thread then makes
them durable with its own `fdatasync` of the log file, and only a sync that *started
after* a commit returned counts for it: every commit handed over before the sync began
is acknowledged once the sync has returned. So the next commit is written while the
previous one's sync is under way, and one sync covers every commit made during the last.

Why this is as durable as `synchronous=FULL` (the log's sync at every commit):

- A commit is only log frames (in WAL mode COMMIT never writes the database file), and
  `fdatasync` of the log on any descriptor flushes every frame written to that file
  before the call began, with the file size needed to read them. Nothing is
  acknowledged before such a sync returned.
- A power loss before the sync: SQLite's recovery keeps the log's longest prefix of
  frames whose salts match the log header and whose running checksums hold, ending at a
  commit frame; a torn or missing frame ends it. Only transactions nobody was told of are
  lost, whole.
- Checkpoints (ours, PASSIVE and RESTART) sync the log before they copy it into the
  database file, under NORMAL as under FULL; only synchronous=OFF drops those syncs. A
  pass that leaves frames behind records how far it copied without syncing the database
  file, but only in shared memory: recovery copies the whole log again. A checkpoint
  that copied all of it syncs the database file before the log may be restarted (and
  the checkpoint thread syncs after each pass too, db.py).
- A restart of the log (the writer starting over at its beginning once a checkpoint
  copied all of it) writes a new header with new salts and syncs it before the first new
  frame, under NORMAL as under FULL; the frames it overwrites are already in the synced
  database file, and the old frames left past the new ones can never pass the new
  salts. `journal_size_limit`'s truncation drops only such old frames.
- A new log file's directory entry is synced by SQLite with that first header sync.
- kill -9 loses nothing the kernel holds: written frames survive the process.

A failed sync (EIO) may have dropped the pages it was flushing, and a later sync can
succeed without them: from then on every commit is answered with an error, never
acknowledged, until the process restarts and recovers from what is on disk.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chinwag.errors import unavailable
from chinwag.threadnames import name_os_thread

log = logging.getLogger("chinwag.store.sqlite")

# A future, its result, its exception: what the event loop is handed after a sync.
Outcome = tuple[Any, Any, BaseException | None]
# Called on the sync thread with the outcomes now durable and the count of commits the
# sync covered; it must only hand them to the event loop.
Deliver = Callable[[list[Outcome], int], None]


class WalSync:
    """The sync thread: commits in, durable outcomes out."""

    def __init__(
        self, wal_path: Path, deliver: Deliver, fsync: Callable[[int], None] = os.fdatasync
    ) -> None:
        self._wal_path = wal_path
        self._deliver = deliver
        self._fsync = fsync
        self._cond = threading.Condition(threading.Lock())
        self._pending: list[Outcome] = []
        self._returned = 0  # commits whose COMMIT has returned (or failed)
        self._covered = 0  # commits covered by a completed sync
        self._stopping = False
        self._failed = False
        self._fd = -1
        self._ino = -1
        self._thread: threading.Thread | None = None
        self.syncs = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chinwag-sqlite-sync", daemon=True)
        self._thread.start()

    def committed(self, outcomes: list[Outcome]) -> None:
        """On the writer thread, right after a COMMIT returned (or failed): its outcomes
        go out after the next sync that starts from now."""
        with self._cond:
            self._returned += 1
            self._pending.extend(outcomes)
            self._cond.notify()

    def failed(self, outcome: Outcome) -> None:
        """On the writer thread: a job whose transaction was rolled back; its error goes
        out with the next delivery (it waits for no sync of its own)."""
        with self._cond:
            self._pending.append(outcome)
            self._cond.notify()

    def poison(self) -> None:
        """From now on every commit is answered with an error (the database file's
        sync failed, see Database._checkpoints)."""
        with self._cond:
            self._failed = True

    def stop(self) -> None:
        """Sync and deliver what is pending, then end the thread (blocks)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _run(self) -> None:
        name_os_thread()
        while True:
            with self._cond:
                while self._returned == self._covered and not self._pending:
                    if self._stopping:
                        return
                    self._cond.wait()
                outcomes, self._pending = self._pending, []
                covers = self._returned
            if covers != self._covered and not self._failed:
                try:
                    self._sync()
                    self.syncs += 1
                except OSError as exc:
                    log.critical("sync of the write-ahead log failed: %s", exc)
                    self._failed = True
            if self._failed:
                outcomes = [(fut, None, exc or unavailable()) for fut, _, exc in outcomes]
            self._covered = covers
            self._deliver(outcomes, covers)

    def _sync(self) -> None:
        # The log file lives as long as the writer's connection; its inode is checked
        # anyway, so a replaced file can never be synced through a stale descriptor.
        ino = os.stat(self._wal_path).st_ino
        if ino != self._ino:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = os.open(self._wal_path, os.O_RDONLY | os.O_CLOEXEC)
            self._ino = os.fstat(self._fd).st_ino
        self._fsync(self._fd)
