"""The SQLite search index's segments are merged only in bounded steps on the
indexer's thread: whatever the index's shape, one indexing step writes a bounded number
of index pages (the next step waits for that much work, no more), and under a load that
never leaves an idle moment the number of segments (a search seeks once per segment)
stays bounded, and a large old segment is not rewritten for the sake of a few new ones. Work
is counted in pages of the index (search_text_data rows), not time."""

from __future__ import annotations

import random
import sqlite3
import string
from pathlib import Path

from chinwag.store.sqlite import fts5levels, searchfile
from chinwag.store.sqlite.indexer import (
    BACKLOG_MAX,
    CHUNK,
    MERGE_PAGES,
    SEGMENTS_HARD,
    SEGMENTS_MAX,
    SMALL_MERGE,
    configure,
    index_chunk,
    segments,
)
from chinwag.store.sqlite.migrate import migrate
from chinwag.store.sqlite.store import SqliteStore

# A merge step has a budget of at most 4 * MERGE_PAGES; FTS5 stops at the first term
# boundary past it (the rest of a doclist: small here).
MERGE_BOUND = 6 * MERGE_PAGES
# A step indexes at most 8 chunks (a backlog), a few messages a page, then merges.
STEP_PAGES = 8 * CHUNK // 4 + MERGE_BOUND


class _Sender:
    """Messages into the real schema, as the send transaction stores them (its trigger
    queues each one for the indexer)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rng = random.Random(7)
        self.words = "".join(self.rng.choices(string.ascii_lowercase + "    ", k=4096))
        self.ids: dict[str, int] = {}

    def send(self, n: int) -> None:
        self.conn.execute("BEGIN")
        for _ in range(n):
            channel = f"c{self.rng.randrange(300)}"
            mid = self.ids[channel] = self.ids.get(channel, 0) + 1
            at = self.rng.randrange(3000)
            self.conn.execute(
                "INSERT INTO messages (channel_id, message_id, sender_id, device_id,"
                " client_msg_id, text, created_at) VALUES (?, ?, 'u', 'd', ?, ?, 0)",
                (channel, mid, f"{channel}-{mid}", self.words[at : at + 20 + at % 120]),
            )
        self.conn.execute("COMMIT")


def _open(path: Path) -> sqlite3.Connection:
    """The index's connection, the store attached (messages go there)."""
    store = sqlite3.connect(path, isolation_level=None)
    store.execute("PRAGMA journal_mode=WAL")
    migrate(store)
    store.close()
    conn = searchfile.open_index(path)
    searchfile.prepare(conn)
    configure(conn)
    return conn


def _backlog(conn: sqlite3.Connection) -> int:
    """Queue entries the index has not taken yet."""
    n: int = conn.execute(
        "SELECT count(*) FROM search_pending WHERE id > ?", (searchfile.indexed_upto(conn),)
    ).fetchone()[0]
    return n


def _pages(conn: sqlite3.Connection) -> set[tuple[int, bytes]]:
    return set(conn.execute("SELECT id, block FROM search_text_data"))


def _step(conn: sqlite3.Connection, *, busy: bool, quiet: bool = False) -> int:
    """One background step as the writer runs it; the index pages it wrote."""
    before = _pages(conn)
    index_chunk(conn, busy, quiet)
    return len(_pages(conn) - before)


def _old_segments(conn: sqlite3.Connection, sender: _Sender, count: int) -> None:
    """`count` segments of 2,000 rows each, written straight into the index."""
    for n in range(count):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO search_text (rowid, text) VALUES (?, ?)",
            (((n + 1000) << 32 | i, sender.words[i : i + 90]) for i in range(2000)),
        )
        conn.execute("COMMIT")


def test_one_step_never_merges_the_index_at_once(tmp_path: Path) -> None:
    conn = _open(tmp_path / "db.sqlite")
    sender = _Sender(conn)
    # An index of many segments in one level, as a long backlog indexed in small chunks
    # leaves it: FTS5 left to itself merges the whole level inside the next insert.
    _old_segments(conn, sender, 60)
    assert segments(conn) == 60
    total = len(_pages(conn))
    sender.send(4)
    written = _step(conn, busy=False)
    assert written <= MERGE_BOUND < total // 4
    # Idle steps merge the rest down, a bounded step at a time.
    while _step(conn, busy=False):
        pass
    assert segments(conn) <= 2
    conn.close()


def test_segments_stay_bounded_under_sustained_load(tmp_path: Path) -> None:
    conn = _open(tmp_path / "db.sqlite")
    sender = _Sender(conn)
    sender.send(BACKLOG_MAX + 100)
    most = worst = 0
    # Sends never stop: every step is a busy one, working a backlog above the bound.
    for _ in range(160):
        sender.send(CHUNK)
        worst = max(worst, _step(conn, busy=True))
        most = max(most, segments(conn))
    assert _backlog(conn) <= BACKLOG_MAX + 1
    assert most <= 2 * SEGMENTS_MAX
    assert worst <= STEP_PAGES
    conn.close()


def test_a_large_old_segment_is_not_rewritten_under_load(tmp_path: Path) -> None:
    conn = _open(tmp_path / "db.sqlite")
    sender = _Sender(conn)
    # The old index merged into one segment on level 1, as `optimize` leaves it (the
    # migration that built the index, and bench prefill).
    _old_segments(conn, sender, 20)
    conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")
    (big,) = [p for level in fts5levels.read(conn) for p in level.pages]
    assert big > 2 * SMALL_MERGE
    old = {row for row in _pages(conn) if row[0] > 10}  # its pages (1 and 10: FTS5's own)
    most = 0
    # Sends never stop, and each step finds a few new messages, as at window 1. Until
    # this change the new segments' merges soon reached level 1 and rewrote the old
    # segment whole, a bounded step at a time, and again on each level above.
    for _ in range(600):
        sender.send(12)
        index_chunk(conn, False, limit=8)
        most = max(most, segments(conn))
    assert old <= _pages(conn)
    assert most <= SEGMENTS_HARD
    assert _backlog(conn) <= BACKLOG_MAX
    # Between jobs the old segment is still left alone; once quiet, the merges finish
    # the work, its level included.
    while _step(conn, busy=False):
        pass
    assert old <= _pages(conn)
    while _step(conn, busy=False, quiet=True):
        pass
    assert segments(conn) <= SEGMENTS_MAX
    conn.close()


def _old_segment_merging(levels: list[fts5levels.Level]) -> bool:
    """Whether a merge under way rewrites a large segment with much smaller ones."""
    for level in levels:
        inputs = level.pages[: level.merging]
        if inputs and sum(inputs) > SMALL_MERGE and 2 * max(inputs) > sum(inputs):
            return True
    return False


def _merges_under_way(levels: list[fts5levels.Level]) -> list[tuple[int, tuple[int, ...]]]:
    """Each merge under way: its level, and the pages left of its inputs."""
    return [(n, level.pages[: level.merging]) for n, level in enumerate(levels) if level.merging]


def test_a_merge_of_a_large_old_segment_waits_for_quiet_once_jobs_come_back(
    tmp_path: Path,
) -> None:
    conn = _open(tmp_path / "db.sqlite")
    sender = _Sender(conn)
    _old_segments(conn, sender, 20)
    conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")
    # New segments climb to the old one's level under load, until a quiet second begins
    # the merge of that level, one bounded step of it.
    for _ in range(40):
        sender.send(300)
        while _step(conn, busy=False):
            pass
        _step(conn, busy=False, quiet=True)
        if _old_segment_merging(fts5levels.read(conn)):
            break
    assert _old_segment_merging(fts5levels.read(conn))
    # Jobs come back: the idle moments between them leave that merge alone (it was
    # carried on in each of them, the writer's steps spent on it while sends waited).
    before = _merges_under_way(fts5levels.read(conn))
    for _ in range(20):
        sender.send(4)
        _step(conn, busy=False)
        _step(conn, busy=False)  # the next idle moment: nothing left to index
    assert _merges_under_way(fts5levels.read(conn)) == before
    # The next quiet spell carries it on to the end.
    while _step(conn, busy=False, quiet=True):
        pass
    assert not _old_segment_merging(fts5levels.read(conn))
    conn.close()


async def test_the_store_turns_fts5_merging_inside_inserts_off(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    try:
        index = searchfile.open_index(store.db.path)
        config = dict(index.execute("SELECT k, v FROM search_text_config"))
        index.close()
    finally:
        await store.close()
    assert config["automerge"] == 0
    assert config["crisismerge"] > 2 * SEGMENTS_MAX
