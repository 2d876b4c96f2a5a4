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
their number stays bounded under a load that never leaves an idle moment.

Under load a segment is merged only with at least as many pages as it holds (a merge of
a few pages is always run); other merges wait for an idle moment. FTS5 merges a whole
level at a time, and a level can hold one large old segment beside new small ones (a
merged index, as `optimize` leaves it, sits on level 1): merging that level rewrote all
of the index's old pages, 64 to 256 a step over hundreds of thousands of messages, while
new segments piled up behind the merge, and it came back each time the new data climbed
to the old segment's level: the writer's CPU per message crept up over a long run at
window 1 (docs/benchmarks.md, "The window-1 creep"). Left out, the new segments are
merged among themselves (their number grows with the square root of the steps without
an idle moment, up to SEGMENTS_HARD, where any merge is run), and the old segment is
merged once as much new data has come, so each page is rewritten a bounded number of
times per doubling of the index."""

from __future__ import annotations

import sqlite3

from chinwag.store.sqlite import claims, fts5levels

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
# A merge of at most this many input pages is run under load whatever its inputs' sizes.
SMALL_MERGE = 4 * MERGE_PAGES
# Above this many segments any merge is run under load (FTS5 refuses a 2,001st).
SEGMENTS_HARD = 512
# A level is merged once it holds this many segments (FTS5's `usermerge`, 0009).
USERMERGE = 2
# FTS5 merges a whole level inside an insert once it holds this many segments: far
# above what SEGMENTS_MAX lets happen (FTS5 caps the setting below 2000).
CRISIS_MERGE = 1_000
# A rowid is (channel number << 32) | (MAX_ID - message_id) (migrations/0009): a larger
# message id is never indexed (over four billion messages in one channel).
MAX_ID = 0xFFFFFFFF


def index_chunk(
    conn: sqlite3.Connection, busy: bool, quiet: bool = False, *, limit: int = CHUNK
) -> bool:
    """Index pending messages, oldest first, inside the caller's transaction; True if
    any were pending (there may be more), or if an idle merge step did work. Idle, up to
    twice `limit` are taken. With `busy` (jobs are waiting) only a backlog above
    BACKLOG_MAX is worked on, back down to it (at most 8 x `limit`); `quiet` (no job for
    a while) lets a merge step begin any merge."""
    if busy:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM search_pending").fetchone()
        if lo is None or hi - lo < BACKLOG_MAX:
            return False
        # Back down to the bound: as many as were sent since the last call, at most.
        limit = min(hi - lo + 1 - BACKLOG_MAX, 8 * limit)
    else:
        # An idle step comes once a chunk's worth of jobs were committed, and a few more
        # have come by then: taking only a chunk, the backlog would grow to BACKLOG_MAX
        # and be held there by small busy steps (a segment and a transaction each).
        limit *= 2
    row = conn.execute(
        "SELECT max(id) FROM (SELECT id FROM search_pending ORDER BY id LIMIT ?)", (limit,)
    ).fetchone()
    upto = row[0]
    if upto is None:
        return False if busy else _idle_merge(conn, quiet)
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
    _merge_under_load(conn)
    return True


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
    """A merge step with nothing to index; True if it did any work. Between jobs only a
    merge that may run under load is begun or carried on; once quiet, any. A merge of a
    large old segment begun in a quiet spell and left half done waits for the next one:
    under light traffic every idle moment finds nothing to index, and carrying that merge
    on in each of them held the next send for a step of it (8 ms at the median, up to
    35 ms on the lived-in database of docs/benchmarks.md). Its level waits meanwhile;
    SEGMENTS_HARD bounds what piles up on it."""
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
