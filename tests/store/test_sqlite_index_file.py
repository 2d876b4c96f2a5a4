"""The SQLite search index in a file of its own, written by a thread of its own: sends
and the store's log restarts never wait for indexing, edits reach the index exactly
through the queue, a store from before the move keeps its index, and a lost index file
is rebuilt."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sqlite3
import string
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.messaging.models import Delete, Edit, Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.sqlite import history, indexer, indexthread, searchfile
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.searchindex import check_search_index
from tests.helpers.wait import wait_for
from tests.store.test_conformance import group, stored, users
from tests.store.test_sqlite_index_merges import _open
from tests.store.test_sqlite_search import _indexed, _pending


@contextlib.asynccontextmanager
async def _serving(path: Path, **kwargs: Any) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(path, **kwargs)
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def _texts(store: SqliteStore, user: str, q: str) -> list[str]:
    found: list[Message] = await store.messages.search(
        SearchQuery(user, tuple(q.split()), limit=100)
    )
    return [m.text for m in found]


async def test_sends_and_log_restarts_never_wait_for_an_index_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A step that never ends, holding the index's write lock (as a long merge would):
    # it blocks after its writes, inside its transaction.
    release = threading.Event()
    entered = threading.Event()
    real = indexer._merge_under_load

    def held(conn: sqlite3.Connection) -> None:
        entered.set()
        release.wait(60)
        real(conn)

    monkeypatch.setattr(indexer, "_merge_under_load", held)
    async with _serving(tmp_path / "db.sqlite", wal_limit=256 << 10) as store:
        try:
            a, b = await users(store, "a", "b")
            await group(store, a, [b])
            await stored(store, a, "g1", "first", text="first words")
            await asyncio.get_running_loop().run_in_executor(None, entered.wait, 30)
            restarts = store.db.wal_restarts + store.db.wal_forced
            # Far more than the log's limit, while the step is held.
            for n in range(20):
                await asyncio.wait_for(
                    asyncio.gather(
                        *(
                            stored(store, a, "g1", f"m{n}-{i}", text=f"held n{n}i{i} " + "x" * 200)
                            for i in range(50)
                        )
                    ),
                    timeout=30,
                )
            assert store.db.wal_restarts + store.db.wal_forced > restarts
            assert await _pending(store) > 1000
            # Search still finds what the index has not taken yet.
            assert len(await _texts(store, b, "n19i")) == 50
            release.set()
            await _indexed(store)
            assert len(await _texts(store, b, "n19i")) == 50
            assert await _texts(store, b, "first") == ["first words"]
        finally:
            release.set()


def _word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=10))


def _match(conn: sqlite3.Connection, word: str) -> set[int]:
    """Rowids holding every trigram of the word (random words: no other has them all)."""
    query = " AND ".join(f'"{word[i : i + 3]}"' for i in range(len(word) - 2))
    return {
        r[0]
        for r in conn.execute("SELECT rowid FROM search_text WHERE search_text MATCH ?", (query,))
    }


def _rowid(conn: sqlite3.Connection, message_id: int) -> int:
    return _rowid_of(conn, "c", message_id)


@pytest.mark.parametrize("seed", range(16))
def test_edits_reach_the_index_exactly_whenever_steps_run(tmp_path: Path, seed: int) -> None:
    """Sends, edits and deletes, with steps of random sizes between them: every word a
    message ever had is found for it exactly while it is its current text."""
    conn = _open(tmp_path / "db.sqlite")
    rng = random.Random(seed)
    current: dict[int, str | None] = {}  # message id -> its word, None once deleted
    versions: dict[int, list[str]] = {}
    for _ in range(300):
        op = rng.random()
        if op < 0.3 or not current:
            mid = len(current) + 1
            word = _word(rng)
            conn.execute(
                "INSERT INTO messages (channel_id, message_id, sender_id, device_id,"
                " client_msg_id, text, created_at) VALUES ('c', ?, 'u', 'd', ?, ?, 0)",
                (mid, f"k{mid}", f"some {word} text"),
            )
            current[mid], versions[mid] = word, [word]
        elif op < 0.6:
            mid = rng.choice([m for m, w in current.items() if w is not None] or [1])
            if current[mid] is None:
                continue
            word = _word(rng)
            conn.execute(
                "UPDATE messages_recent SET text = ? WHERE channel_id = 'c' AND message_id = ?",
                (f"some {word} text", mid),
            )
            current[mid] = word
            versions[mid].append(word)
        elif op < 0.65:
            mid = rng.choice(list(current))
            conn.execute(
                "UPDATE messages_recent SET text = '', deleted = 1"
                " WHERE channel_id = 'c' AND message_id = ? AND NOT deleted",
                (mid,),
            )
            current[mid] = None
        else:
            indexer.index_chunk(conn, False, limit=rng.choice((1, 1, 2, 3, 8)))
    while indexer.index_chunk(conn, False, limit=4):
        pass
    for mid, words in versions.items():
        for word in words:
            expect = {_rowid(conn, mid)} if word == current[mid] else set()
            assert _match(conn, word) == expect, (mid, word, current[mid])
    conn.close()


def _lose_index_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{searchfile.path_for(path)}{suffix}").unlink(missing_ok=True)


async def test_a_store_with_the_index_inside_moves_it_to_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
    _lose_index_file(path)
    # The store as the last version left it: the index (migrations/0009) in the store's
    # file, with some messages indexed and some still queued.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM schema_migrations WHERE version >= 13")
    for statement in (
        # migrations/0015's: the history one table again, with the send's triggers
        "DROP VIEW messages",
        f"INSERT INTO messages_main ({history.COLUMNS}) SELECT {history.COLUMNS}"
        " FROM messages_recent",
        "DROP TABLE messages_recent",
        "DROP TABLE history_route",
        "ALTER TABLE messages_main RENAME TO messages",
        "CREATE TRIGGER messages_sender_reads AFTER INSERT ON messages BEGIN"
        " UPDATE members SET last_read_message_id = NEW.message_id"
        " WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id"
        " AND last_read_message_id < NEW.message_id - 32; END",
        "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN"
        " INSERT INTO search_pending (channel_id, message_id)"
        " VALUES (NEW.channel_id, NEW.message_id); END",
        "DROP TABLE inbox_recent",  # migrations/0014's
        "DROP TRIGGER messages_search_update",
        "DROP TABLE search_pending",
        "CREATE TABLE search_pending (id INTEGER PRIMARY KEY, channel_id TEXT NOT NULL,"
        " message_id INTEGER NOT NULL)",
        "CREATE TABLE search_channels (id INTEGER PRIMARY KEY, channel_id TEXT NOT NULL UNIQUE,"
        " indexed_upto INTEGER NOT NULL DEFAULT 0)",
        "CREATE VIRTUAL TABLE search_text USING fts5(text, content = '', tokenize = 'trigram',"
        " detail = none)",
        # 0009's: an edit updated the index in the same transaction.
        "CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted ON messages BEGIN"
        " INSERT INTO search_text (search_text, rowid, text)"
        " SELECT 'delete', (c.id << 32) | (4294967295 - OLD.message_id), OLD.text"
        " FROM search_channels c WHERE c.channel_id = OLD.channel_id"
        " AND OLD.message_id <= c.indexed_upto AND NOT OLD.deleted; END",
    ):
        conn.execute(statement)
    for mid in range(1, 7):
        conn.execute(
            "INSERT INTO messages (channel_id, message_id, sender_id, device_id, client_msg_id,"
            " text, created_at) VALUES ('g1', ?, 'u_a', 'd', ?, ?, 1000)",
            (mid, f"k{mid}", f"old layout {mid} " + ("indexed" if mid <= 4 else "queued")),
        )
    conn.execute("INSERT INTO search_channels (channel_id, indexed_upto) VALUES ('g1', 4)")
    conn.execute(
        "INSERT INTO search_text (rowid, text) SELECT (1 << 32) | (4294967295 - message_id),"
        " text FROM messages WHERE message_id <= 4 ORDER BY 1"
    )
    conn.execute("DELETE FROM search_pending WHERE message_id <= 4")
    conn.close()

    async with _serving(path) as store:
        await _indexed(store)
        assert await _texts(store, b, "old layout") == [
            f"old layout {m} " + ("indexed" if m <= 4 else "queued") for m in range(6, 0, -1)
        ]
        # An entry moved with the index is forgotten on an edit, as one indexed here.
        await store.messages.change("g1", 2, Edit("edited now", (), 2000))
        await _indexed(store)
        assert await _texts(store, b, "layout 2") == []
        assert await _texts(store, b, "edited") == ["edited now"]
        names = await store.db.read(
            lambda c: [r[0] for r in c.execute("SELECT name FROM main.sqlite_master")]
        )
        assert not [n for n in names if n.startswith(("search_text", "search_channels"))]


async def test_a_lost_index_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        kept = [await stored(store, a, "g1", f"m{i}", text=f"kept {i}") for i in range(5)]
        await store.messages.change("g1", kept[0].message.message_id, Edit("changed", (), 300))
        await _indexed(store)
    _lose_index_file(path)
    async with _serving(path) as store:
        assert await _pending(store) == 0
        assert await _texts(store, b, "kept") == [f"kept {i}" for i in range(4, 0, -1)]
        assert await _texts(store, b, "changed") == ["changed"]
        await store.messages.change("g1", kept[1].message.message_id, Delete())
        await _indexed(store)
        assert await _texts(store, b, "kept") == [f"kept {i}" for i in range(4, 1, -1)]


async def test_queue_ids_never_start_again_below_what_the_index_took(tmp_path: Path) -> None:
    """The store's writer takes entries off the queue once indexed, but never the newest:
    an emptied table would number the next entry 1 again, below the index's mark, and
    that message would never be indexed nor found."""
    async with _serving(tmp_path / "db.sqlite") as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        for i in range(3):
            await stored(store, a, "g1", f"m{i}", text=f"round {i} words")
            await _indexed(store)

            async def drained() -> bool:
                rows: list[Any] = await store.db.read(
                    lambda c: c.execute("SELECT count(*) FROM search_pending").fetchall()
                )
                return bool(rows[0][0] == 1)

            await wait_for(drained, timeout=30)
            assert await _texts(store, b, f"round {i}") == [f"round {i} words"]

        async def keys_written() -> bool:
            rows: list[Any] = await store.db.read(
                lambda c: c.execute("SELECT count(*) FROM sends").fetchall()
            )
            return bool(rows[0][0] == 3)

        await wait_for(keys_written, timeout=30)  # the queued one's too


def _copy_file(src: Path, dst: Path) -> None:
    """A closed database file (its log checkpointed away on close), as a backup."""
    shutil.copyfile(src, dst)


async def _sent_and_indexed(store: SqliteStore, words: list[str]) -> None:
    for word in words:
        await stored(store, "u_a", "g1", word, text=f"{word} words")
    await _indexed(store)

    async def drained() -> bool:  # down to the newest entry: the files as they stay
        rows: list[Any] = await store.db.read(
            lambda c: c.execute("SELECT count(*) FROM search_pending").fetchall()
        )
        return bool(rows[0][0] == 1)

    await wait_for(drained, timeout=30)


@pytest.mark.parametrize("restored", ["store", "index"])
async def test_a_store_and_index_from_different_times_are_noticed(
    tmp_path: Path, restored: str
) -> None:
    """One of the two files restored from a backup: the index is rebuilt, so messages
    sent after the restore are found, and none is missing. (A store older than its index
    numbered new queue entries below the index's mark, never to be indexed; an index older
    than its store missed what had been taken off the queue since.)"""
    path = tmp_path / "db.sqlite"
    index = searchfile.path_for(path)
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        await _sent_and_indexed(store, ["first", "second", "third"])
    backup = tmp_path / "backup"
    _copy_file(path if restored == "store" else index, backup)
    async with _serving(path) as store:
        await _sent_and_indexed(store, ["fourth", "fifth", "sixth", "seventh"])
    _copy_file(backup, path if restored == "store" else index)
    async with _serving(path) as store:
        await _sent_and_indexed(store, ["eighth"])
        assert await _texts(store, b, "eighth") == ["eighth words"]
        found = await _texts(store, b, "words")
        if restored == "store":
            expect = ["eighth", "third", "second", "first"]
        else:
            expect = ["eighth", "seventh", "sixth", "fifth", "fourth", "third", "second", "first"]
        assert found == [f"{w} words" for w in expect]


async def test_the_index_checker_tells_a_sound_index_from_a_broken_one(tmp_path: Path) -> None:
    path = tmp_path / "chinwag.db"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        await _sent_and_indexed(store, ["one", "two", "three"])
        await store.messages.change("g1", 2, Delete())
        await _indexed(store)
    code, report = await asyncio.to_thread(check_search_index, tmp_path)
    assert (code, report["index_rows"], report["missing"], report["extra"]) == (0, 2, 0, 0)
    conn = searchfile.open_index(path)
    conn.execute("INSERT INTO search_text (rowid, text) VALUES (12345, 'stray')")
    conn.execute(
        "INSERT INTO search_text (search_text, rowid, text) VALUES ('delete', ?, ?)",
        (_rowid_of(conn, "g1", 1), "one words"),
    )
    conn.close()
    code, report = await asyncio.to_thread(check_search_index, tmp_path)
    assert (code, report["missing"], report["extra"]) == (1, 1, 1)


def _rowid_of(conn: sqlite3.Connection, channel_id: str, message_id: int) -> int:
    (number,) = conn.execute(
        "SELECT id FROM search_channels WHERE channel_id = ?", (channel_id,)
    ).fetchone()
    return int(number) << 32 | (searchfile.MAX_ID - message_id)


async def test_edits_racing_the_indexer_thread_leave_the_index_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real threads: sends, edits and deletes in many small commits while the indexer
    takes steps of its own (small and frequent here, so they fall between and across the
    changes). Afterwards every message is found by its current word only."""
    monkeypatch.setattr(indexthread, "INDEX_EVERY", 0.005)
    monkeypatch.setattr(indexthread, "STEP", 1)
    rng = random.Random(11)
    current: dict[int, str | None] = {}
    old: dict[int, list[str]] = {}
    path = tmp_path / "chinwag.db"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        await group(store, a, [b])
        for n in range(300):
            op = rng.random()
            if op < 0.4 or not current:
                word = _word(rng)
                done = await stored(store, a, "g1", f"m{n}", text=f"say {word} now")
                current[done.message.message_id], old[done.message.message_id] = word, []
            elif op < 0.9:
                mid = rng.choice(list(current))
                if current[mid] is None:
                    continue
                word = _word(rng)
                await store.messages.change("g1", mid, Edit(f"say {word} now", (), 1000 + n))
                old[mid].append(current[mid] or "")
                current[mid] = word
            else:
                mid = rng.choice(list(current))
                if current[mid] is None:
                    continue
                await store.messages.change("g1", mid, Delete())
                old[mid].append(current[mid] or "")
                current[mid] = None
        await _indexed(store)
    code, report = await asyncio.to_thread(check_search_index, tmp_path)
    assert code == 0, report
    conn = searchfile.open_index(path)
    try:
        for mid, word in current.items():
            rowid = _rowid_of(conn, "g1", mid)
            if word is not None:
                assert rowid in _match(conn, word), (mid, word)
            for gone in old[mid]:
                assert rowid not in _match(conn, gone), (mid, gone)
    finally:
        conn.close()
