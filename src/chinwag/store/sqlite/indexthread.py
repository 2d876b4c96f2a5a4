"""The search indexer's thread: steps of indexer.py on the index's own file, beside the
store's writer, never holding it (searchfile.py says how the two files stay in step).

It looks for new queue entries every INDEX_EVERY seconds while there are commits (a step
of a larger chunk costs less per message than many small ones), works through a backlog
without pausing, and once nothing has come to index for QUIET seconds lets a merge step
begin any merge of the index. After each step that took entries it wakes the store's
writer, which then removes them from the queue."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from chinwag.store.sqlite import searchfile
from chinwag.store.sqlite.db import Database
from chinwag.store.sqlite.indexer import configure, index_chunk
from chinwag.threadnames import name_os_thread

log = logging.getLogger("chinwag.store.sqlite")

# Seconds between looks for new entries. Larger chunks cost less a message (FTS5 writes
# a segment per transaction, and each segment is merged again later); search matches
# what is not indexed yet directly, so nothing waits for it.
INDEX_EVERY = 0.25
# Entries a step takes at most (twice the indexer's limit).
STEP = 2048
QUIET = 1.0  # seconds with nothing to index before any merge may begin
RETRY = 1.0  # seconds before a failed step is tried again
# While the store commits, a rebuild's step is followed by a pause this many times its
# length (it then takes at most a quarter of a core); with no commits it runs at once.
REBUILD_YIELD = 3.0


class IndexThread:
    def __init__(self, db: Database) -> None:
        self.db = db
        # The queue id up to which the index has taken entries, durably (read by the
        # store's writer thread: an int, replaced whole).
        self.upto = 0
        self.steps = 0
        self.failures = 0
        # Whether the index is being rebuilt beside the server (searchfile.prepare).
        self.rebuilding = False
        self._conn: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def prepare(self) -> str | None:
        """Open the index's file and fill it if it has to be (searchfile.prepare); after
        the store's migrations, before the first job."""
        conn = searchfile.open_index(self.db.path)
        self._conn = conn
        done = searchfile.prepare(conn, background=True)
        configure(conn)
        self.upto = searchfile.indexed_upto(conn)
        self.rebuilding = searchfile.rebuild_cursor(conn) is not None
        if self.rebuilding and done is None:
            log.warning("carrying on with the search index's rebuild")
        return done

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chinwag-sqlite-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        name_os_thread()
        more = True
        seen = -1
        last_indexed = time.monotonic()
        quiet_done = False
        pause = 0.0
        while not self._stopping.wait(pause if more else INDEX_EVERY):
            quiet = time.monotonic() - last_indexed >= QUIET
            begun = self.db.begun
            if not more and begun == seen and (quiet_done or not quiet):
                continue  # nothing committed since the last look, and no merge due
            seen = begun
            quiet_done = quiet
            before, rebuilding = self.upto, self.rebuilding
            began = time.monotonic()
            more = self._step(quiet)
            pause = 0.0
            if self.upto != before or rebuilding:
                # A rebuild's step indexes too: the merges of a quiet moment come after.
                last_indexed = time.monotonic()
                quiet_done = False
            if rebuilding and self.db.begun != begun:
                # The server is writing: the rebuild leaves it most of the machine.
                pause = (last_indexed - began) * REBUILD_YIELD
            if self.upto != before:
                self.db.wake_background()

    def _step(self, quiet: bool) -> bool:
        """One step (its own transactions); True if there may be more to do."""
        conn = self._conn
        assert conn is not None
        try:
            more = index_chunk(conn, False, quiet, limit=STEP)
        except sqlite3.Error:
            log.exception("search indexing failed")
            self.failures += 1
            self._stopping.wait(RETRY)
            return False
        self.steps += 1
        self.upto = searchfile.indexed_upto(conn)
        if self.rebuilding and searchfile.rebuild_cursor(conn) is None:
            self.rebuilding = False
            log.warning("the search index is whole again")
        return more
