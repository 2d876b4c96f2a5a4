"""The search indexer: takes queued messages (search_pending in the store's file, filled
by the send's and the edit's triggers, migrations/0007 and 0013) into the FTS5 index in
its own file (searchfile.py), in bounded chunks, on its own thread (indexthread.py), so
neither a send nor the store's writer ever waits for indexing. `search_state.upto` says
how far it has taken the queue; the store's writer removes entries up to there
(claims.drain). With nothing queued it merges the index's segments a step at a time (a
search seeks once per segment).

Edits are queue entries too (edit = 1), carrying the text the message had before
(old_text, NULL if that was not indexable). A contentless index forgets a row only given
the text it was indexed with, so a step works out which text that is: it reads messages
as they are in its snapshot, which may be after later edits. For a message the index
took before this step, the first edit of the step carries the indexed text (forget it);
the state a step leaves is the old_text of the message's first edit after the step's
last entry, or the message as read when there is none.

FTS5's own merging is off (configure): left on, an insert of a few rows can set off a
merge of whole levels of the index (`crisismerge`), seconds of work. Every merge is one
of ours instead, bounded in pages: in idle moments, and after an indexing step whenever
the index holds more than SEGMENTS_MAX segments, so their number stays bounded under a
load that never leaves an idle moment.

Under load a segment is merged only with at least as many pages as it holds (a merge of
a few pages is always run); other merges wait for a quiet moment. FTS5 merges a whole
level at a time, and a level can hold one large old segment beside new small ones (a
merged index, as `optimize` leaves it, sits on level 1): merging that level rewrote all
of the index's old pages, 64 to 256 a step over hundreds of thousands of messages, while
new segments piled up behind the merge, and it came back each time the new data climbed
to the old segment's level: the CPU per message crept up over a long run at window 1
(docs/benchmarks.md, "The window-1 creep"). Left out, the new segments are merged among
themselves (their number grows with the square root of the steps without an idle
moment, up to SEGMENTS_HARD, where any merge is run), and the old segment is merged once
as much new data has come, so each page is rewritten a bounded number of times per
doubling of the index.

A lost index is rebuilt beside the running server (searchfile.prepare): each step reads
the next stored messages after a cursor, in (channel, message id) order, in the same
snapshot as the queue entries it takes, and only when it takes the whole queue of that
snapshot. An entry for a message past the cursor is dropped: the rebuild reads that
message later, in a snapshot the entry's change is in. An entry for a message before it
is taken as usual, since the message was read in an earlier snapshot, without it."""

from __future__ import annotations

import sqlite3
from typing import Any

from chinwag.store.sqlite import fts5levels, history
from chinwag.store.sqlite.searchfile import (
    INDEXABLE,
    MAX_ID,
    STORE,
    indexed_upto,
    rebuild_cursor,
)

# Messages per indexing transaction: larger chunks index more cheaply (FTS5 writes its
# segments once per transaction).
CHUNK = 256
# A busy step works only on a backlog above this (the store's writer drains its queue
# the same way, claims.drain); search's direct read of the tail stays bounded.
BACKLOG_MAX = 4_000
# Index pages written by one merge step (a few ms of work).
MERGE_PAGES = 64
# Above this many segments an indexing step is followed by a merge step, busy or not.
SEGMENTS_MAX = 32
# A merge of at most this many input pages is run under load whatever its inputs' sizes.
SMALL_MERGE = 4 * MERGE_PAGES
# Above this many segments any merge is run under load (FTS5 refuses a 2,001st).
SEGMENTS_HARD = 512
# A level is merged once it holds this many segments (FTS5's `usermerge`, 0009).
USERMERGE = 2
# FTS5 merges a whole level inside an insert once it holds this many segments: far
# above what SEGMENTS_MAX lets happen (FTS5 caps the setting below 2000).
CRISIS_MERGE = 1_000
# Stored messages a step of a rebuild beside the server reads again (searchfile.py).
REBUILD_CHUNK = 4_096


def index_chunk(
    conn: sqlite3.Connection, busy: bool, quiet: bool = False, *, limit: int = CHUNK
) -> bool:
    """Index queued entries, oldest first, on the index's connection (the store
    attached), in transactions of its own; True if there may be more (a full chunk was
    taken), or if an idle merge step did work. Idle, up to twice `limit` are taken. With `busy`
    only a backlog above BACKLOG_MAX is worked on, back down to it (at most 8 x `limit`);
    `quiet` (nothing to index for a while) lets a merge step begin any merge. While the
    index is rebuilt beside the server, an idle step also indexes the next REBUILD_CHUNK
    stored messages.

    The store is read in a short transaction of its own, into temp tables: a snapshot of
    the store held through the whole step would hold off a restart of the store's log,
    and the store's writer with it (db.py), for as long."""
    if not busy:
        limit *= 2
    cursor = rebuild_cursor(conn)
    taken = _take(conn, busy, limit, None if busy else cursor)
    conn.execute("BEGIN")
    try:
        if taken is None:
            more = False if busy else _idle_merge(conn, quiet)
        else:
            done, upto, later, count, rebuilt = taken
            if cursor is not None:
                # Messages the rebuild has not passed are read as they are when it does.
                for table in ("search_batch", "search_msgs"):
                    conn.execute(
                        f"DELETE FROM temp.{table} WHERE (channel_id, message_id) > (?, ?)",
                        cursor,
                    )
            _index(conn, done, upto, later)
            # A step each time a few entries have come makes a segment each: the thread
            # waits for more unless this one was full.
            more = count >= limit
            if rebuilt is not None:
                more = _rebuild_chunk(conn) or more
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return more


_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS search_batch (id INTEGER PRIMARY KEY,"
    " channel_id TEXT NOT NULL, message_id INTEGER NOT NULL, edit INTEGER NOT NULL,"
    " old_text TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS search_msgs (channel_id TEXT NOT NULL,"
    " message_id INTEGER NOT NULL, text TEXT NOT NULL, deleted INTEGER NOT NULL,"
    " PRIMARY KEY (channel_id, message_id))",
    "CREATE TEMP TABLE IF NOT EXISTS search_later (channel_id TEXT NOT NULL,"
    " message_id INTEGER NOT NULL, text TEXT, PRIMARY KEY (channel_id, message_id))",
    "CREATE TEMP TABLE IF NOT EXISTS search_again (channel_id TEXT NOT NULL,"
    " message_id INTEGER NOT NULL, text TEXT NOT NULL, deleted INTEGER NOT NULL,"
    " PRIMARY KEY (channel_id, message_id))",
)
_Key = tuple[str, int]


def _take(
    conn: sqlite3.Connection, busy: bool, limit: int, cursor: tuple[str, int] | None = None
) -> tuple[int, int, list[Any], int, tuple[str, int] | None] | None:
    """Read the next entries and their messages from the store into temp tables; (the
    last id taken before, the last id taken now, the later edits, how many, and while
    the index is rebuilt the cursor the messages read again start after, or None if
    none were), or None when there is nothing to do."""
    for statement in _TEMP:
        conn.execute(statement)
    conn.execute("BEGIN")
    try:
        done = indexed_upto(conn)
        if busy:
            (hi,) = conn.execute(f"SELECT max(id) FROM {STORE}.search_pending").fetchone()
            if hi is None or hi - done <= BACKLOG_MAX:
                return None
            # Back down to the bound: as many as were sent since the last call, at most.
            limit = min(hi - done - BACKLOG_MAX, 8 * limit)
        conn.execute("DELETE FROM temp.search_batch")
        conn.execute("DELETE FROM temp.search_msgs")
        conn.execute(
            "INSERT INTO temp.search_batch SELECT id, channel_id, message_id, edit, old_text"
            f" FROM {STORE}.search_pending WHERE id > ? ORDER BY id LIMIT ?",
            (done, limit),
        )
        upto, count = conn.execute("SELECT max(id), count(*) FROM temp.search_batch").fetchone()
        # Messages are read again only in a snapshot whose whole queue this step takes:
        # an entry left for a later step would be applied twice (after the message was
        # read as it made it).
        rebuilt = cursor if cursor is not None and count < limit else None
        if rebuilt is not None:
            _read_again(conn, rebuilt)
        if upto is None:
            if rebuilt is None:
                return None
            return done, done, [], 0, rebuilt
        conn.execute(
            "INSERT INTO temp.search_msgs"
            f" SELECT {history.either('channel_id, message_id, text, deleted')}"
            " FROM (SELECT DISTINCT channel_id, message_id FROM temp.search_batch) AS k"
            f"{history.joined('k', f'{STORE}.')} WHERE {history.FOUND}"
        )
        later = conn.execute(
            f"SELECT channel_id, message_id, old_text FROM {STORE}.search_pending"
            " WHERE id > ? AND edit ORDER BY id",
            (upto,),
        ).fetchall()
        return done, upto, later, count, rebuilt
    finally:
        conn.execute("COMMIT")


def _read_again(conn: sqlite3.Connection, cursor: tuple[str, int]) -> None:
    """The next stored messages after the rebuild's cursor, into temp.search_again."""
    conn.execute("DELETE FROM temp.search_again")
    conn.execute(
        "INSERT INTO temp.search_again SELECT channel_id, message_id, text, deleted"
        f" FROM {STORE}.messages WHERE (channel_id, message_id) > (?, ?)"
        " ORDER BY channel_id, message_id LIMIT ?",
        (*cursor, REBUILD_CHUNK),
    )


def _rebuild_chunk(conn: sqlite3.Connection) -> bool:
    """Index the messages read again (`_read_again`) and move the rebuild's cursor past
    them, or end the rebuild when none were left; True while it goes on."""
    last = conn.execute(
        "SELECT channel_id, message_id FROM temp.search_again"
        " ORDER BY channel_id DESC, message_id DESC LIMIT 1"
    ).fetchone()
    if last is None:
        conn.execute("DELETE FROM search_rebuild")
        return False
    conn.execute(
        "INSERT OR IGNORE INTO search_channels (channel_id)"
        " SELECT DISTINCT channel_id FROM temp.search_again ORDER BY channel_id"
    )
    # From now on an edit of these messages forgets what was indexed for them.
    conn.execute(
        "UPDATE search_channels AS c SET indexed_upto = max(c.indexed_upto, a.top)"
        " FROM (SELECT channel_id, max(message_id) AS top FROM temp.search_again"
        "       GROUP BY channel_id) AS a"
        " WHERE c.channel_id = a.channel_id"
    )
    conn.execute(
        "INSERT INTO search_text (rowid, text)"
        f" SELECT (c.id << 32) | ({MAX_ID} - m.message_id), m.text"
        " FROM temp.search_again m JOIN search_channels c ON c.channel_id = m.channel_id"
        f" WHERE {INDEXABLE} ORDER BY 1"
    )
    conn.execute("UPDATE search_rebuild SET channel_id = ?, message_id = ?", tuple(last))
    return True


def _index(conn: sqlite3.Connection, done: int, upto: int, later: list[Any]) -> None:
    """Index the entries read by `_take`, inside the caller's transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO search_channels (channel_id)"
        " SELECT DISTINCT channel_id FROM temp.search_batch"
    )
    _edits(conn, later)
    # The state each message is left in: the later edit's old text, or the message as
    # read. A deleted message, or an end-to-end encrypted body, is not indexed.
    conn.execute(
        "INSERT INTO search_text (rowid, text)"
        f" SELECT (c.id << 32) | ({MAX_ID} - m.message_id),"
        " CASE WHEN l.message_id IS NULL THEN m.text ELSE l.text END"
        " FROM temp.search_msgs m JOIN search_channels c ON c.channel_id = m.channel_id"
        " LEFT JOIN temp.search_later l"
        " ON l.channel_id = m.channel_id AND l.message_id = m.message_id"
        f" WHERE m.message_id <= {MAX_ID} AND CASE WHEN l.message_id IS NULL"
        f" THEN {INDEXABLE} ELSE l.text IS NOT NULL END"
        # Ascending rowids: FTS5 writes its pending entries out as a new segment whenever
        # a rowid is not above the last one, so any other order costs a segment a row.
        " ORDER BY 1"
    )
    # From now on an edit of these messages forgets what was indexed for them.
    conn.execute(
        "UPDATE search_channels AS c SET indexed_upto = max(c.indexed_upto, b.top)"
        " FROM (SELECT channel_id, max(message_id) AS top FROM temp.search_batch"
        "       WHERE NOT edit GROUP BY channel_id) AS b"
        " WHERE c.channel_id = b.channel_id"
    )
    conn.execute("UPDATE search_state SET upto = ?", (upto,))
    _merge_under_load(conn)


def _edits(conn: sqlite3.Connection, later: list[Any]) -> None:
    """Forget what the index holds for messages it took in an earlier step and this
    step's edits change, and note in temp.search_later the state the first edit after
    this step says each message had (`later`: the edits queued after it)."""
    conn.execute("DELETE FROM temp.search_later")
    first: dict[_Key, str | None] = {}
    for channel_id, message_id, old_text in conn.execute(
        "SELECT channel_id, message_id, old_text FROM temp.search_batch WHERE edit ORDER BY id"
    ):
        first.setdefault((channel_id, message_id), old_text)
    # Only a message taken in an earlier step has an entry to forget (this step's sends
    # are not indexed yet), and only an indexable old text was indexed.
    conn.executemany(
        "INSERT INTO search_text (search_text, rowid, text)"
        f" SELECT 'delete', (c.id << 32) | ({MAX_ID} - ?2), ?3 FROM search_channels c"
        f" WHERE c.channel_id = ?1 AND ?2 <= c.indexed_upto AND ?2 <= {MAX_ID}",
        [(c, m, t) for (c, m), t in first.items() if t is not None],
    )
    after: dict[_Key, str | None] = {}
    for channel_id, message_id, old_text in later:
        after.setdefault((channel_id, message_id), old_text)
    conn.executemany(
        "INSERT INTO temp.search_later (channel_id, message_id, text) VALUES (?, ?, ?)",
        [(c, m, t) for (c, m), t in after.items()],
    )


def configure(conn: sqlite3.Connection) -> None:
    """Turn FTS5's merging inside inserts off (kept in the index's config table, so
    this writes only when a setting differs)."""
    want = {"automerge": 0, "crisismerge": CRISIS_MERGE, "usermerge": USERMERGE}
    have = dict(conn.execute("SELECT k, v FROM search_text_config").fetchall())
    for key, value in want.items():
        if have.get(key) != value:
            conn.execute("INSERT INTO search_text (search_text, rank) VALUES (?, ?)", (key, value))


def segments(conn: sqlite3.Connection) -> int:
    """How many segments the index has (a search seeks once per segment)."""
    return fts5levels.segments(fts5levels.read(conn))


def _merge_under_load(conn: sqlite3.Connection) -> None:
    """After an indexing step: a merge step if the index holds too many segments."""
    levels = fts5levels.read(conn)
    count = fts5levels.segments(levels)
    over = count - SEGMENTS_MAX
    if over <= 0:
        return
    # Further above the bound, larger steps (still bounded): merging keeps pace with
    # any rate of indexing.
    pages = MERGE_PAGES * min(4, 1 + over // 8)
    if count > SEGMENTS_HARD:
        _merge_step(conn, pages)
        return
    n = fts5levels.next_level(levels, USERMERGE)
    if _balanced(fts5levels.merge_inputs(levels, n)):
        _merge_only(conn, levels, n, pages)


def _idle_merge(conn: sqlite3.Connection, quiet: bool) -> bool:
    """A merge step with nothing to index; True if it did any work. While messages keep
    coming only a merge that may run under load is begun or carried on; once quiet, any.
    A merge of a large old segment begun in a quiet spell and left half done waits for
    the next one: under light traffic every step between messages finds nothing to
    index, and carrying that merge on in each of them spent a step of it each time (8 ms
    at the median, up to 35 ms on the lived-in database of docs/benchmarks.md, which a
    send waited for while the index shared the store's writer). Its level waits
    meanwhile; SEGMENTS_HARD bounds what piles up on it."""
    levels = fts5levels.read(conn)
    n = fts5levels.next_level(levels, USERMERGE)
    if n < 0:
        return False
    if quiet:
        return _merge_step(conn)
    if not _balanced(fts5levels.merge_inputs(levels, n)):
        return False
    _merge_only(conn, levels, n, MERGE_PAGES)
    return True


def _merge_only(
    conn: sqlite3.Connection, levels: list[fts5levels.Level], n: int, pages: int
) -> None:
    """A merge step on level `n`'s merge and no other. FTS5 spends what is left of a
    step's pages on the next merge it would choose, whatever its size: when this merge
    ends within the step, the step is taken back and done again with just the pages it
    wrote, less one (it then ends at its last page, with nothing left over)."""
    conn.execute("SAVEPOINT merge")
    _merge_step(conn, pages)
    after = fts5levels.read(conn)
    level = levels[n]
    inputs = {segid for segid, _ in level.ends[: level.merging or len(level.ends)]}
    if n >= len(after) or not inputs & {segid for segid, _ in after[n].ends}:
        wrote = fts5levels.written(levels, after, n)
        if wrote > 0:
            conn.execute("ROLLBACK TO merge")
            _merge_step(conn, max(1, wrote - 1))
    conn.execute("RELEASE merge")


def _balanced(inputs: tuple[int, ...]) -> bool:
    """Whether a merge of these inputs (pages each) may run under load: a small one, or
    one where no input holds more than all the others together."""
    work = sum(inputs)
    return bool(inputs) and (work <= SMALL_MERGE or 2 * max(inputs) <= work)


def _merge_step(conn: sqlite3.Connection, pages: int = MERGE_PAGES) -> bool:
    """One bounded merge of the index's segments; True if there was anything to merge
    (FTS5 tells by the change count: fewer than 2 means nothing was done)."""
    before = conn.total_changes
    conn.execute("INSERT INTO search_text (search_text, rank) VALUES ('merge', ?)", (pages,))
    return conn.total_changes - before >= 2
