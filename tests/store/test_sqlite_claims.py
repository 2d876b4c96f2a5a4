"""Idempotency keys on SQLite (claims.py): a send's key reaches `sends` only with the
background step, yet a resend gets the original back at every moment: while the key is
only in the queue, after the writer lost its memory of it, after it was written, after
a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinwag.messaging.models import Stored
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import befriend, send, stored, users


async def _resends_all(store: SqliteStore, sent: dict[str, int]) -> None:
    for cmid, mid in sent.items():
        again = await send(store, "u_a", "c1", cmid)
        assert isinstance(again, Stored) and again.duplicate, cmid
        assert again.message.message_id == mid and again.message.client_msg_id == cmid
        # The same key on another channel is the same send: the original, not a new one.
        elsewhere = await send(store, "u_a", "c2", cmid)
        assert isinstance(elsewhere, Stored) and elsewhere.duplicate
        assert (elsewhere.message.channel_id, elsewhere.message.message_id) == ("c1", mid)


async def _keys(store: SqliteStore) -> int:
    n: int = await store.db.read(lambda c: c.execute("SELECT count(*) FROM sends").fetchone()[0])
    return n


async def test_resends_are_exact_before_and_after_keys_are_written(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SqliteStore(path)
    await store.start()
    try:
        a, b, c = await users(store, "a", "b", "c")
        await befriend(store, a, b)
        await befriend(store, a, c)
        await store.channels.direct_channel("c1", a, b, 1)
        await store.channels.direct_channel("c2", a, c, 1)
        step = store.db._background
        assert step is not None
        store.db._background = None  # keys stay queued
        sent = {
            f"k{i}": (await stored(store, a, "c1", f"k{i}")).message.message_id for i in range(20)
        }
        assert await _keys(store) == 0
        await _resends_all(store, sent)  # from the writer's memory

        def fails(conn: object, state: object) -> None:
            raise ZeroDivisionError  # a failed transaction clears the writer's caches

        with pytest.raises(ZeroDivisionError):
            await store.db.write(fails)
        await _resends_all(store, sent)  # from the queue on disk
        store.db.run_in_background(step)
        await store.db.write(lambda conn, state: None)  # a commit: the step has work

        async def written() -> bool:
            return await _keys(store) == len(sent)

        await wait_for(written, timeout=30)
        await _resends_all(store, sent)  # from `sends`
        history = await store.messages.history("c1", before=None, after=None, limit=100)
        assert [m.client_msg_id for m in history] == list(sent)  # nothing stored twice
    finally:
        await store.close()
    store = SqliteStore(path)
    await store.start()
    try:
        await _resends_all(store, sent)
        fresh = await stored(store, "u_a", "c1", "new")
        assert fresh.message.message_id == len(sent) + 1
    finally:
        await store.close()
