"""The SQLite engine as one object."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import sqlite3
from pathlib import Path
from typing import IO

from chinwag.store.base import Gauge
from chinwag.store.secret_files import FileSecrets
from chinwag.store.sqlite import claims, history, inbox, searchfile
from chinwag.store.sqlite.accounts import SqliteAccounts
from chinwag.store.sqlite.attachments import SqliteAttachments
from chinwag.store.sqlite.channels import SqliteChannels
from chinwag.store.sqlite.db import WAL_LIMIT, Database
from chinwag.store.sqlite.friends import SqliteFriends
from chinwag.store.sqlite.indexthread import IndexThread
from chinwag.store.sqlite.keys import SqliteKeys
from chinwag.store.sqlite.messages import SqliteMessages
from chinwag.store.sqlite.migrate import migrate
from chinwag.store.sqlite.push import SqlitePush
from chinwag.store.sqlite.safety import SqliteSafety

log = logging.getLogger("chinwag.store.sqlite")


class SqliteStore:
    def __init__(self, path: Path, *, wal_limit: int = WAL_LIMIT) -> None:
        self.db = Database(
            path, wal_limit=wal_limit, attach=lambda conn: searchfile.attach(conn, path)
        )
        self.indexer = IndexThread(self.db)
        self.accounts = SqliteAccounts(self.db)
        self.friends = SqliteFriends(self.db)
        self.channels = SqliteChannels(self.db)
        self.messages = SqliteMessages(self.db)
        self.push = SqlitePush(self.db)
        self.keys = SqliteKeys(self.db)
        self.safety = SqliteSafety(self.db)
        self.attachments = SqliteAttachments(self.db)
        self.secrets = FileSecrets(path.parent)  # the data dir, as before
        self._lock: IO[str] | None = None

    async def start(self) -> None:
        self._lock_data_dir()
        self.db.start(asyncio.get_running_loop())
        applied = migrate(self.db.writer_connection())
        if applied:
            log.info("applied migrations %s to %s", applied, self.db.path)
        # A commit's sends write the history's view in a statement of many rows, which
        # SQLite gathers in a temporary table first: in memory, not a file opened and
        # written each commit. After the migrations: those may sort whole tables.
        self.db.writer_connection().execute("PRAGMA temp_store=MEMORY")
        self.indexer.prepare()
        indexer = self.indexer
        parts = (
            claims.Drain(lambda: indexer.upto),
            inbox.move(self.db.state),
            history.move(),
        )

        def background(conn: sqlite3.Connection, busy: bool, quiet: bool) -> bool:
            # Every part every step (a list, no short-circuit): each keeps its own
            # backlog bounded.
            return any([part(conn, busy, quiet) for part in parts])

        self.db.run_in_background(background)
        indexer.start()

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.indexer.stop)
        await self.db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _lock_data_dir(self) -> None:
        """One process per database file: the writer's in-memory counters assume it."""
        path = self.db.path.with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115 - held open for the store's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RuntimeError(
                f"another chinwag process is using {self.db.path}; SQLite serves one process"
            ) from None
        self._lock = handle

    def gauges(self) -> list[Gauge]:
        """Commits, and the write-ahead log's size and restarts."""
        db = self.db
        return [
            (f"chinwag_sqlite_{name}", help_, read)
            for name, help_, read in (
                ("commits_total", "SQLite write transactions committed.", lambda: db.commits),
                ("jobs_total", "SQLite write jobs (sends and others) committed.", lambda: db.jobs),
                ("wal_bytes", "Size of SQLite's write-ahead log file.", lambda: db.wal_size()),
                (
                    "wal_restarts_total",
                    "Times SQLite's write-ahead log was checkpointed and restarted.",
                    lambda: db.wal_restarts + db.wal_forced,
                ),
                (
                    "wal_pause_seconds_total",
                    "Time the SQLite writer waited while the log was restarted.",
                    lambda: db.wal_pause_s,
                ),
                (
                    "wal_pause_max_seconds",
                    "The longest single wait of the SQLite writer for a log restart.",
                    lambda: db.wal_pause_max_s,
                ),
                (
                    "db_syncs_total",
                    "Syncs of the SQLite database file after checkpoint passes, beside the writer.",
                    lambda: db.db_syncs,
                ),
                (
                    "search_index_steps_total",
                    "Steps of the search indexer's thread (each its own transaction).",
                    lambda: self.indexer.steps,
                ),
                (
                    "search_index_failures_total",
                    "Steps of the search indexer that failed (retried a second later).",
                    lambda: self.indexer.failures,
                ),
                (
                    "search_index_rebuilding",
                    "1 while a lost search index is rebuilt beside the server, else 0.",
                    lambda: int(self.indexer.rebuilding),
                ),
            )
        ]

    async def ping(self) -> bool:
        try:
            await self.db.read(lambda conn: conn.execute("SELECT 1").fetchone())
        except Exception:
            return False
        return True


def migrate_file(path: Path) -> list[str]:
    """For `chinwag migrate`: apply pending migrations (the search index's move to its
    own file included) and return their names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        applied = migrate(conn)
    finally:
        conn.close()
    if searchfile.prepare_file(path) == "moved":
        applied.append("search index moved to " + searchfile.path_for(path).name)
    return applied
