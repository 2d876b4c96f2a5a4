"""The search index's own database file, beside the store's (`chinwag.db` ->
`chinwag-search.db`), written only by the indexer thread (indexthread.py).

In the store's file, indexing a chunk of messages held the one writer for ~6 ms, about 20
times a second at 5,000 msgs/s, and every send queued behind it waited. In a file of its
own the index has a write lock of its own: the indexer reads the store's queue
(`search_pending`) and messages from a snapshot, which WAL lets it take beside the
writer, and writes only here.

What ties the two files together is `search_state.upto`: every queue entry with an id up
to it is in the index, committed with the index in one transaction here. The store's
writer removes entries from the queue only up to that mark once it is durable
(claims.drain), so a crash of either file's writes loses nothing: entries above the mark
are still queued, and are indexed again after a restart.

A transaction across the two files would not be atomic in WAL mode, so none is used: the
index's transactions write only this file, and `BEGIN IMMEDIATE` (which would take the
store's write lock too) is never used on a connection with the store attached."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from chinwag.store.sqlite.db import connect

log = logging.getLogger("chinwag.store.sqlite")

# Messages with larger ids are never indexed (the rowid holds the id in 32 bits).
MAX_ID = 0xFFFFFFFF
# Which stored messages (`m`) the index holds: not deleted, and not an end-to-end
# encrypted body (U+0001 then opaque JSON).
INDEXABLE = f"NOT m.deleted AND substr(m.text, 1, 1) <> char(1) AND m.message_id <= {MAX_ID}"
# The alias of the store's file on the indexer's connection.
STORE = "store"
# FTS5's build buffer while the whole index is rebuilt (bytes; its default is 1 MiB).
BUILD_HASH = 64 << 20

_SCHEMA = (
    # detail = none: which messages hold a trigram, not where (migrations/0009).
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5("
    "text, content = '', tokenize = 'trigram', detail = none)",
    # Each channel's number (the high half of its messages' rowids), and the newest of its
    # messages whose send the index has taken.
    "CREATE TABLE IF NOT EXISTS search_channels ("
    " id INTEGER PRIMARY KEY, channel_id TEXT NOT NULL UNIQUE,"
    " indexed_upto INTEGER NOT NULL DEFAULT 0)",
    # One row, written when the file is filled (moved or rebuilt) and by each step.
    "CREATE TABLE IF NOT EXISTS search_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " upto INTEGER NOT NULL)",
    # While the index is rebuilt beside a running server (one row): every message up to
    # (channel_id, message_id), in that order, is in it; the rest is read again later.
    "CREATE TABLE IF NOT EXISTS search_rebuild (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " channel_id TEXT NOT NULL, message_id INTEGER NOT NULL)",
)
# FTS5's own tables behind search_text (contentless: no content table).
_SHADOW = ("search_text_data", "search_text_idx", "search_text_docsize", "search_text_config")


def path_for(store_path: Path) -> Path:
    return store_path.with_name(store_path.stem + "-search" + store_path.suffix)


def open_index(store_path: Path) -> sqlite3.Connection:
    """The indexer's connection: this file as `main`, the store's attached read-side as
    `store`. FULL: the writer drops queue entries once a step's commit returns, so that
    commit must be on disk by then."""
    conn = connect(path_for(store_path), synchronous="FULL")
    conn.execute("PRAGMA journal_size_limit=67108864")
    conn.execute(f"ATTACH DATABASE ? AS {STORE}", (str(store_path),))
    for statement in _SCHEMA:
        conn.execute(statement)
    return conn


def attach(conn: sqlite3.Connection, store_path: Path) -> None:
    """Attach the index to a reader of the store (as `search`)."""
    conn.execute("ATTACH DATABASE ? AS search", (str(path_for(store_path)),))


def indexed_upto(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT upto FROM search_state").fetchone()
    return 0 if row is None else int(row[0])


def rebuild_cursor(conn: sqlite3.Connection, schema: str = "main") -> tuple[str, int] | None:
    """Where a rebuild beside the server stands (see _SCHEMA), None when there is none."""
    row = conn.execute(f"SELECT channel_id, message_id FROM {schema}.search_rebuild").fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def prepare_file(store_path: Path) -> str | None:
    """`prepare` on a connection of its own to the index file of the store at
    `store_path` (a command with the server stopped: a lost index is rebuilt at once)."""
    conn = open_index(store_path)
    try:
        return prepare(conn)
    finally:
        conn.close()


def prepare(conn: sqlite3.Connection, *, background: bool = False) -> str | None:
    """Fill this file if it has to be: "moved" when the store still holds the index
    (a store from before the move); when this file was lost or is not the store's,
    "rebuilt", or with `background` "rebuilding": emptied, to be filled by the indexer's
    steps while the server runs (indexer.py); else None."""
    held = conn.execute(
        f"SELECT 1 FROM {STORE}.sqlite_master WHERE name = 'search_text'"
    ).fetchone()
    if held:
        _move(conn)
        return "moved"
    if conn.execute("SELECT 1 FROM search_state").fetchone() is None:
        why = "the search index file was missing"
    elif not _matches(conn):
        why = "the search index file is not the store's (one of them restored from another time?)"
    else:
        return None
    if background:
        log.warning("%s: indexing every stored message again, beside the server", why)
        _begin_rebuild(conn)
        return "rebuilding"
    log.warning("%s: indexing every stored message again", why)
    _rebuild(conn)
    return "rebuilt"


def _matches(conn: sqlite3.Connection) -> bool:
    """Whether the store's queue is where this index left it. Entries are removed only
    up to the index's mark and never the newest, so the newest is at or above the mark
    and the oldest at most one above it (an empty queue: nothing was ever queued). A
    store older than the index numbers new entries below the mark (never indexed); an
    index older than the store misses what was removed since."""
    upto = indexed_upto(conn)
    lo, hi = conn.execute(f"SELECT min(id), max(id) FROM {STORE}.search_pending").fetchone()
    if hi is None:
        return upto == 0
    return bool(lo <= upto + 1 and upto <= hi)


def _move(conn: sqlite3.Connection) -> None:
    """Copy the store's index here as it is (FTS5's own tables, row for row), then drop it
    there. Until the drop commits, a restart copies it again: the queue is not touched in
    between, so the copy is the same."""
    have = {r[0] for r in conn.execute(f"SELECT name FROM {STORE}.sqlite_master")}
    conn.execute("BEGIN")
    for table in _SHADOW:
        if table in have:
            conn.execute(f"DELETE FROM main.{table}")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM {STORE}.{table}")
    conn.execute("DELETE FROM main.search_channels")
    conn.execute(f"INSERT INTO main.search_channels SELECT * FROM {STORE}.search_channels")
    # The store's queue held only messages not indexed yet; everything before is.
    (first,) = conn.execute(f"SELECT min(id) FROM {STORE}.search_pending").fetchone()
    _set_upto(conn, 0 if first is None else first - 1)
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute(f"DROP TABLE {STORE}.search_text")
    conn.execute(f"DROP TABLE {STORE}.search_channels")
    conn.execute("COMMIT")
    # Both logs now hold about the index's size (the copy, and the pages the drop
    # freed): give that disk back now, not at the first restarts.
    conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
    conn.execute(f"PRAGMA {STORE}.wal_checkpoint(TRUNCATE)")
    log.info("moved the search index to a file of its own")


def _begin_rebuild(conn: sqlite3.Connection) -> None:
    """Empty the index and mark every queue entry so far as taken: the rebuild reads
    each message later, as it is then, which every one of those entries led to. Later
    entries are taken as usual once the rebuild has passed their message (indexer.py)."""
    conn.execute("BEGIN")
    (last,) = conn.execute(f"SELECT max(id) FROM {STORE}.search_pending").fetchone()
    conn.execute("DELETE FROM search_channels")
    conn.execute("INSERT INTO search_text (search_text) VALUES ('delete-all')")
    conn.execute(
        "INSERT OR REPLACE INTO search_rebuild (id, channel_id, message_id) VALUES (1, '', 0)"
    )
    _set_upto(conn, last or 0)
    conn.execute("COMMIT")


def _rebuild(conn: sqlite3.Connection) -> None:
    """Index every stored message again, as it is now; every queue entry so far is then
    covered (they all lead to this state)."""
    conn.execute("BEGIN")
    (last,) = conn.execute(f"SELECT max(id) FROM {STORE}.search_pending").fetchone()
    conn.execute("DELETE FROM search_channels")
    conn.execute("DELETE FROM search_rebuild")
    conn.execute("INSERT INTO search_text (search_text) VALUES ('delete-all')")
    # FTS5 writes a segment each time its buffer fills, and merges as it goes unless
    # told not to: a large buffer and no merging until the end build it far faster.
    for key, value in (("automerge", 0), ("crisismerge", 1_000), ("hashsize", BUILD_HASH)):
        conn.execute("INSERT INTO search_text (search_text, rank) VALUES (?, ?)", (key, value))
    conn.execute(
        "INSERT INTO search_channels (channel_id, indexed_upto)"
        f" SELECT channel_id, max(message_id) FROM {STORE}.messages GROUP BY channel_id"
    )
    conn.execute(
        "INSERT INTO search_text (rowid, text)"
        f" SELECT (c.id << 32) | ({MAX_ID} - m.message_id), m.text"
        f" FROM search_channels c JOIN {STORE}.messages m ON m.channel_id = c.channel_id"
        f" WHERE {INDEXABLE} ORDER BY 1"
    )
    conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")
    conn.execute("INSERT INTO search_text (search_text, rank) VALUES ('hashsize', ?)", (1 << 20,))
    _set_upto(conn, last or 0)
    conn.execute("COMMIT")


def _set_upto(conn: sqlite3.Connection, upto: int) -> None:
    conn.execute("INSERT OR REPLACE INTO search_state (id, upto) VALUES (1, ?)", (upto,))
