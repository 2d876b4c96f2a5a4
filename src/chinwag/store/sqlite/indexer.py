"""The search indexer on SQLite: moves pending messages (search_pending, filled by the
send transaction's trigger, migrations/0007) into the FTS5 index in bounded chunks, on
the writer thread between group commits, so a send never pays for indexing. The same
step writes those messages' idempotency keys (claims.py). With
nothing pending and no sends waiting it merges the index's segments a step at a time
(a search seeks once per segment).

FTS5's own merging is off (configure): left on, an insert of a few rows can set off a
merge of whole levels of the index (`crisismerge`), seconds of work on the writer while
sends wait. Every merge is one of ours instead, bounded in pages: in idle moments, and
after an indexing step whenever the index holds more than SEGMENTS_MAX segments, so
their number stays bounded under a load that never leaves an idle moment."""

from __future__ import annotations

import sqlite3

from chinwag.store.sqlite import claims

# Messages per indexing transaction: larger chunks index more cheaply (FTS5 writes its
# segments once per transaction); sends queued behind one wait for it (a few ms).
CHUNK = 256
# While sends are waiting the indexer steps aside unless its backlog is above this: the
# work is then done in idle moments, and search's direct read of the tail stays bounded.
BACKLOG_MAX = 4_000
# Index pages written by one merge step (a few ms of work).
MERGE_PAGES = 64
# Above this many segments an indexing step is followed by a merge step, busy or not.
SEGMENTS_MAX = 32
# FTS5 merges a whole level inside an insert once it holds this many segments: far
# above what SEGMENTS_MAX lets happen (FTS5 caps the setting below 2000).
CRISIS_MERGE = 1_000
# A rowid is (channel number << 32) | (MAX_ID - message_id) (migrations/0009): a larger
# message id is never indexed (over four billion messages in one channel).
MAX_ID = 0xFFFFFFFF


def index_chunk(conn: sqlite3.Connection, busy: bool, limit: int = CHUNK) -> bool:
    """Index up to `limit` pending messages, oldest first, inside the caller's
    transaction; True if any were pending (there may be more), or if an idle merge step
    did work. With `busy` (jobs are waiting) only a backlog above BACKLOG_MAX is worked
    on."""
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
        return False if busy else _merge_step(conn)
    conn.execute(
        "INSERT OR IGNORE INTO search_channels (channel_id)"
        " SELECT DISTINCT channel_id FROM search_pending WHERE id <= ?",
        (upto,),
    )
    # A deleted message, or an end-to-end encrypted body, is not indexed.
    conn.execute(
        "INSERT INTO search_text (rowid, text)"
        f" SELECT (c.id << 32) | ({MAX_ID} - m.message_id), m.text FROM search_pending p"
        " JOIN search_channels c ON c.channel_id = p.channel_id"
        " JOIN messages m ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
        " WHERE p.id <= ? AND NOT m.deleted AND substr(m.text, 1, 1) <> char(1)"
        f" AND m.message_id <= {MAX_ID}"
        # Ascending rowids: FTS5 writes its pending entries out as a new segment whenever
        # a rowid is not above the last one, so any other order costs a segment a row.
        " ORDER BY 1",
        (upto,),
    )
    # From now on the update trigger keeps these messages' entries in step.
    conn.execute(
        "UPDATE search_channels AS c SET indexed_upto = max(c.indexed_upto, p.top)"
        " FROM (SELECT channel_id, max(message_id) AS top FROM search_pending"
        "       WHERE id <= ? GROUP BY channel_id) AS p"
        " WHERE c.channel_id = p.channel_id",
        (upto,),
    )
    # The queue also holds these messages' idempotency keys until now (claims.py).
    claims.write(conn, upto)
    conn.execute("DELETE FROM search_pending WHERE id <= ?", (upto,))
    over = segments(conn) - SEGMENTS_MAX
    if over > 0:
        # Further above the bound, larger steps (still bounded): merging keeps pace
        # with any rate of indexing.
        _merge_step(conn, MERGE_PAGES * min(4, 1 + over // 8))
    return True


def configure(conn: sqlite3.Connection) -> None:
    """Turn FTS5's merging inside inserts off (kept in the index's config table, so
    this writes only when a setting differs)."""
    want = {"automerge": 0, "crisismerge": CRISIS_MERGE}
    have = dict(conn.execute("SELECT k, v FROM search_text_config").fetchall())
    for key, value in want.items():
        if have.get(key) != value:
            conn.execute("INSERT INTO search_text (search_text, rank) VALUES (?, ?)", (key, value))


def segments(conn: sqlite3.Connection) -> int:
    """How many segments the index has, from its structure record: a 4-byte cookie, a
    4-byte marker in newer versions of FTS5, then varints: levels, segments."""
    row = conn.execute("SELECT block FROM search_text_data WHERE id = 10").fetchone()
    if row is None:
        return 0
    data: bytes = row[0]
    pos = 8 if data[4:8] == b"\xff\x00\x00\x01" else 4
    _, pos = _varint(data, pos)
    return _varint(data, pos)[0]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos


def _merge_step(conn: sqlite3.Connection, pages: int = MERGE_PAGES) -> bool:
    """One bounded merge of the index's segments; True if there was anything to merge
    (FTS5 tells by the change count: fewer than 2 means nothing was done)."""
    before = conn.total_changes
    conn.execute("INSERT INTO search_text (search_text, rank) VALUES ('merge', ?)", (pages,))
    return conn.total_changes - before >= 2
