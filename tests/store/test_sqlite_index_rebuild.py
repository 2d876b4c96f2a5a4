"""A lost or mismatched search index is rebuilt beside the running server: the store
starts at once, search finds everything meanwhile (channels the rebuild has not passed
are read directly), and sends, edits and deletes made during the rebuild leave the index
exact once it ends."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chinwag.messaging.models import Delete, Edit
from chinwag.store.sqlite import fts5levels, indexer, indexthread, searchfile
from tests.helpers.searchindex import check_search_index
from tests.helpers.wait import wait_for
from tests.store.test_conformance import group, stored, users
from tests.store.test_sqlite_index_file import (
    _lose_index_file,
    _match,
    _rowid_of,
    _serving,
    _texts,
    _word,
)
from tests.store.test_sqlite_index_merges import _open


@pytest.mark.parametrize("seed", range(12))
def test_a_rebuild_beside_sends_edits_and_deletes_ends_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Messages in several channels, the index lost, then sends, edits and deletes with
    steps of random sizes between them (a few messages read again a step): once the
    rebuild ends, every word a message ever had is found for it exactly while it is its
    current text."""
    monkeypatch.setattr(indexer, "REBUILD_CHUNK", 3)
    conn = _open(tmp_path / "chinwag.db")
    rng = random.Random(seed)
    channels = [f"c{n}" for n in range(5)]
    current: dict[tuple[str, int], str | None] = {}  # message -> its word, None if deleted
    versions: dict[tuple[str, int], list[str]] = {}
    top = dict.fromkeys(channels, 0)

    def send() -> None:
        channel = rng.choice(channels)
        top[channel] += 1
        key = (channel, top[channel])
        word = _word(rng)
        conn.execute(
            "INSERT INTO messages (channel_id, message_id, sender_id, device_id,"
            " client_msg_id, text, created_at) VALUES (?, ?, 'u', 'd', ?, ?, 0)",
            (*key, f"k{key}", f"some {word} text"),
        )
        current[key], versions[key] = word, [word]

    def edit() -> None:
        live = [k for k, w in current.items() if w is not None]
        if not live:
            return
        key = rng.choice(live)
        word = _word(rng)
        conn.execute(
            "UPDATE messages_recent SET text = ? WHERE channel_id = ? AND message_id = ?",
            (f"some {word} text", *key),
        )
        current[key] = word
        versions[key].append(word)

    def delete() -> None:
        key = rng.choice(list(current))
        conn.execute(
            "UPDATE messages_recent SET text = '', deleted = 1"
            " WHERE channel_id = ? AND message_id = ? AND NOT deleted",
            key,
        )
        current[key] = None

    for _ in range(40):
        send()
    for _ in range(10):
        edit()
    while indexer.index_chunk(conn, False, limit=8):
        pass
    # The index lost after some of its entries were taken and some not.
    for _ in range(5):
        send()
        edit()
    searchfile._begin_rebuild(conn)
    assert searchfile.rebuild_cursor(conn) == ("", 0)

    for _ in range(300):
        op = rng.random()
        if op < 0.3:
            send()
        elif op < 0.6:
            edit()
        elif op < 0.65:
            delete()
        else:
            indexer.index_chunk(conn, False, limit=rng.choice((1, 2, 3, 8, 64)))
    while indexer.index_chunk(conn, False, limit=4) or searchfile.rebuild_cursor(conn):
        pass

    for key, words in versions.items():
        for word in words:
            expect = {_rowid_of(conn, *key)} if word == current[key] else set()
            assert _match(conn, word) == expect, (key, word, current[key])
    conn.close()
    code, report = check_search_index(tmp_path)
    assert (code, report["missing"], report["extra"], report["rebuilding"]) == (0, 0, 0, False)


async def test_a_lost_index_is_rebuilt_while_the_store_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "chinwag.db"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        for n in range(6):
            await group(store, a, [b], cid=f"g{n}")
            for i in range(5):
                await stored(store, a, f"g{n}", f"m{n}-{i}", text=f"early g{n} {i}")
    _lose_index_file(path)

    # The rebuild held after its first chunk: the store must serve meanwhile.
    monkeypatch.setattr(indexer, "REBUILD_CHUNK", 4)
    held, release = threading.Event(), threading.Event()
    real = indexer._rebuild_chunk

    def chunk(conn: sqlite3.Connection) -> bool:
        more = real(conn)
        if not held.is_set():
            held.set()
            release.wait(60)
        else:
            time.sleep(0.2)  # a rebuild longer than the quiet moment before merges
        return more

    monkeypatch.setattr(indexer, "_rebuild_chunk", chunk)
    async with _serving(path) as store:
        try:
            await asyncio.get_running_loop().run_in_executor(None, held.wait, 30)
            assert store.indexer.rebuilding
            gauges = {name: read() for name, _, read in store.gauges()}
            assert gauges["chinwag_sqlite_search_index_rebuilding"] == 1
            # Every message is found while most channels are not indexed yet.
            expect = [f"early g{n} {i}" for n in range(6) for i in range(5)]
            found = await _texts(store, b, "early")
            assert sorted(found) == sorted(expect)
            assert await _texts(store, b, "g4 3") == ["early g4 3"]
            # Changes on both sides of the cursor while it is held.
            await stored(store, a, "g0", "late0", text="late words g0")
            await stored(store, a, "g5", "late5", text="late words g5")
            await store.messages.change("g0", 1, Edit("changed g0 one", (), 5000))
            await store.messages.change("g5", 2, Edit("changed g5 two", (), 5000))
            await store.messages.change("g3", 3, Delete())
            assert sorted(await _texts(store, b, "late words")) == [
                "late words g0",
                "late words g5",
            ]
            assert sorted(await _texts(store, b, "changed")) == [
                "changed g0 one",
                "changed g5 two",
            ]
        finally:
            release.set()

        async def whole() -> bool:
            return not store.indexer.rebuilding

        await wait_for(whole, timeout=30)
        # The rebuild's segments are merged in the quiet moment after it.
        index = sqlite3.connect(f"file:{searchfile.path_for(path)}?mode=ro", uri=True)
        try:

            async def merged() -> bool:
                levels = fts5levels.read(index)
                return all(len(level.pages) <= 1 for level in levels)

            await wait_for(merged, timeout=30)
        finally:
            index.close()
        rows: list[Any] = await store.db.read(
            lambda c: c.execute("SELECT count(*) FROM search.search_rebuild").fetchall()
        )
        assert rows[0][0] == 0
        found = await _texts(store, b, "early")
        assert len(found) == 6 * 5 - 3  # two edited, one deleted
        assert "early g0 0" not in found and "early g5 1" not in found
        assert "early g3 2" not in found
        assert sorted(await _texts(store, b, "changed")) == ["changed g0 one", "changed g5 two"]
    code, report = await asyncio.to_thread(check_search_index, tmp_path)
    assert (code, report["missing"], report["extra"], report["rebuilding"]) == (0, 0, 0, False)
    assert report["index_rows"] == 6 * 5 + 2 - 1


async def test_a_rebuild_yields_to_a_store_that_is_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While sends are committed, each step of the rebuild is followed by a pause of
    REBUILD_YIELD times its length, so the rebuild leaves the server most of the machine."""
    path = tmp_path / "chinwag.db"
    async with _serving(path) as store:
        a, b = await users(store, "a", "b")
        # Sends go to the channel the rebuild reads first, once it has passed it, so it
        # does not chase them to the end of the channel.
        await group(store, a, [b], cid="a0")
        await group(store, a, [b])
        await stored(store, a, "a0", "first", text="first")
        for i in range(40):
            await stored(store, a, "g1", f"m{i}", text=f"before {i}")
    _lose_index_file(path)
    monkeypatch.setattr(indexer, "REBUILD_CHUNK", 2)
    spans: list[tuple[float, float]] = []
    real = indexer._rebuild_chunk

    def chunk(conn: sqlite3.Connection) -> bool:
        began = time.monotonic()
        time.sleep(0.05)  # a step long enough for sends to commit during it
        more = real(conn)
        spans.append((began, time.monotonic()))
        return more

    monkeypatch.setattr(indexer, "_rebuild_chunk", chunk)
    async with _serving(path) as store:

        async def passed_a0() -> bool:
            cursor = await store.db.read(lambda c: searchfile.rebuild_cursor(c, "search"))
            return cursor is not None and cursor[0] > "a0"

        # Only then: sends past the cursor would be read by the rebuild, 2 a step.
        await wait_for(passed_a0, timeout=30)
        sending = time.monotonic()
        sent, deadline = 0, sending + 120
        while store.indexer.rebuilding and time.monotonic() < deadline:
            await stored(store, a, "a0", f"during{sent}", text=f"during {sent}")
            sent += 1
            await asyncio.sleep(0.002)
        assert not store.indexer.rebuilding, "the rebuild did not end"
    spans = [span for span in spans if span[0] >= sending]
    steps = [end - began for began, end in spans[:-1]]
    gaps = [nxt[0] - end for (_, end), nxt in itertools.pairwise(spans)]
    assert len(gaps) >= 10
    ratios = sorted(g / s for g, s in zip(gaps, steps, strict=True))
    assert ratios[len(ratios) // 2] >= 0.9 * indexthread.REBUILD_YIELD, ratios
