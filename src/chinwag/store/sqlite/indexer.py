"""The search indexer on SQLite: moves pending messages (search_pending, filled by the
send transaction's trigger, migrations/0007) into the FTS5 index in bounded chunks, on
the writer thread between group commits, so a send never pays for indexing."""

from __future__ import annotations

import sqlite3

# Messages per indexing transaction: larger chunks index more cheaply (FTS5 writes its
# segments once per transaction); sends queued behind one wait for it (a few ms).
CHUNK = 256
# While sends are waiting the indexer steps aside unless its backlog is above this: the
# work is then done in idle moments, and search's direct read of the tail stays bounded.
BACKLOG_MAX = 4_000


def index_chunk(conn: sqlite3.Connection, busy: bool, limit: int = CHUNK) -> bool:
    """Index up to `limit` pending messages, oldest first, inside the caller's
    transaction; True if any were pending (there may be more). With `busy` (jobs are
    waiting) only a backlog above BACKLOG_MAX is worked on."""
    if busy:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM search_pending").fetchone()
        if lo is None or hi - lo < BACKLOG_MAX:
            return False
        # Back down to the bound: as many as were sent since the last call, at most.
        limit = min(hi - lo + 1 - BACKLOG_MAX, 8 * limit)
    row = conn.execute(
        "SELECT max(id) FROM (SELECT id FROM search_pending ORDER BY id LIMIT ?)", (limit,)
    ).fetchone()
    upto = row[0]
    if upto is None:
        return False
    # Oldest first, so search_docs rowids keep time order. A deleted message gets a doc
    # (edits find it by key) but no text.
    conn.execute(
        "INSERT OR IGNORE INTO search_docs (channel_id, message_id, created_at)"
        " SELECT m.channel_id, m.message_id, m.created_at FROM search_pending p"
        " JOIN messages m ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
        " WHERE p.id <= ? ORDER BY p.id",
        (upto,),
    )
    conn.execute(
        "INSERT INTO search_text (rowid, text)"
        # An end-to-end encrypted body (U+0001, then opaque JSON) is never indexed.
        " SELECT d.id, CASE WHEN substr(m.text, 1, 1) = char(1) THEN '' ELSE m.text END"
        " FROM search_pending p"
        " JOIN search_docs d ON d.channel_id = p.channel_id AND d.message_id = p.message_id"
        " JOIN messages m ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
        " WHERE p.id <= ? AND NOT m.deleted ORDER BY p.id",
        (upto,),
    )
    conn.execute("DELETE FROM search_pending WHERE id <= ?", (upto,))
    return True
