"""SQLite writes a commit's sends together (store/sqlite/bulk.py): a few statements a
commit, not several a send, with each send's outcome what it would be on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from chinwag.messaging.models import SendRefusal, SendRequest, Stored
from chinwag.store.sqlite import claims
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for
from tests.store.test_conformance import befriend, stored, users


async def _one(store: SqliteStore, sql: str, *args: object) -> Any:
    return await store.db.read(lambda conn: conn.execute(sql, args).fetchone()[0])


def _request(sender: str, cid: str, cmid: str, text: str = "", **kw: Any) -> SendRequest:
    return SendRequest(sender, f"d_{sender}", cid, cmid, text or cmid, 100, **kw)


async def _world(tmp_path: Path) -> tuple[SqliteStore, str, str, str]:
    store = SqliteStore(tmp_path / "db.sqlite")
    await store.start()
    a, b, c = await users(store, "a", "b", "c")
    for other, cid in ((b, "ab"), (c, "ac")):
        await befriend(store, a, other)
        await store.channels.direct_channel(cid, a, other, 1)
    return store, a, b, c


async def test_a_commits_sends_keep_their_own_outcomes(tmp_path: Path) -> None:
    store, a, b, c = await _world(tmp_path)
    try:
        await stored(store, a, "ab", "k0")
        await stored(store, a, "ab", "k1")
        # k0's key leaves the writer's map for `sends` (the newest entry stays queued).
        await wait_for(
            lambda: _one(store, "SELECT count(*) FROM sends WHERE client_msg_id = 'k0'"),
            timeout=10,
        )
        await store.close()
        store = SqliteStore(tmp_path / "db.sqlite")
        await store.start()
        store.db._background = None
        commits = store.db.commits
        # Queued in one turn of the loop: one commit.
        futures = [
            store.messages.append(_request(a, "ab", "n1")),
            store.messages.append(_request(a, "ac", "n2")),
            store.messages.append(_request(a, "ab", "k0")),  # stored before, key in `sends`
            store.messages.append(_request(a, "ab", "k1")),  # stored before, key queued
            store.messages.append(_request(a, "ab", "n1", text="again")),  # this commit's
            store.messages.append(_request(c, "ab", "x")),  # not a member
            store.messages.append(_request(b, "ab", "n3")),
            store.messages.append(_request(a, "nope", "n4")),
        ]
        out = await asyncio.gather(*futures)
        assert store.db.commits == commits + 1
        got = [
            (r.message.channel_id, r.message.message_id, r.message.text, r.duplicate)
            if isinstance(r, Stored)
            else r
            for r in out
        ]
        assert got == [
            ("ab", 3, "n1", False),
            ("ac", 1, "n2", False),
            ("ab", 1, "k0", True),
            ("ab", 2, "k1", True),
            ("ab", 3, "n1", True),
            SendRefusal.NOT_MEMBER,
            ("ab", 4, "n3", False),
            SendRefusal.NO_CHANNEL,
        ]
        assert isinstance(out[6], Stored) and out[6].cursors == {a: 5, b: 4}
        history = await store.messages.history("ab", before=None, after=None, limit=10)
        assert [(m.message_id, m.sender_id, m.text) for m in history] == [
            (1, a, "k0"),
            (2, a, "k1"),
            (3, a, "n1"),
            (4, b, "n3"),
        ]
        assert [e.seq for e in await store.messages.inbox_after(b, 0, 10)] == [1, 2, 3, 4]
    finally:
        await store.close()


async def test_a_commit_of_many_sends_takes_a_few_statements(tmp_path: Path) -> None:
    store, a, _, _ = await _world(tmp_path)
    try:
        await stored(store, a, "ab", "warm", text="warm")  # the writer's caches: both
        await stored(store, a, "ac", "warm2")
        statements: list[str] = []
        conn = store.db.writer_connection()
        conn.set_trace_callback(statements.append)
        sends = [
            store.messages.append(_request(a, ("ab", "ac")[n % 2], f"m{n}")) for n in range(40)
        ]
        out = await asyncio.gather(*sends)
        conn.set_trace_callback(None)
        assert all(isinstance(r, Stored) and not r.duplicate for r in out)
        # A trigger's statements are traced with the text of the statement firing it.
        ours = [s for n, s in enumerate(statements) if not n or s != statements[n - 1]]
        # BEGIN, COMMIT, the keys looked up (40 = 16 + 16 + 4 + 4), the rows written
        # (as many for the history; 80 inbox entries = 64 + 16) and perhaps the route:
        # a statement or more for every send before.
        assert len(ours) <= 14, ours
        history = await store.messages.history("ab", before=None, after=None, limit=100)
        assert [m.text for m in history] == ["warm"] + [f"m{n}" for n in range(0, 40, 2)]
    finally:
        await store.close()


async def test_a_bad_send_fails_alone(tmp_path: Path) -> None:
    store, a, b, _ = await _world(tmp_path)
    try:
        futures = [
            store.messages.append(_request(a, "ab", "ok1")),
            store.messages.append(_request(a, "ab", "bad", attachment_ids=("missing",))),
            store.messages.append(_request(b, "ab", "ok2")),
        ]
        out = await asyncio.gather(*futures, return_exceptions=True)
        assert isinstance(out[0], Stored) and out[0].message.message_id == 1
        assert isinstance(out[1], Exception)
        assert isinstance(out[2], Stored) and out[2].message.message_id == 2
        history = await store.messages.history("ab", before=None, after=None, limit=10)
        assert [m.text for m in history] == ["ok1", "ok2"]
    finally:
        await store.close()


async def test_a_resend_in_the_same_commit_while_the_keys_reload(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The writer reloads its map of keys from the disk when it has grown (claims.py);
    a reload in the middle of a commit would miss the keys of the sends before it."""
    store, a, _, _ = await _world(tmp_path)
    try:
        monkeypatch.setattr(claims, "SLACK", 0)
        await stored(store, a, "ab", "first")
        futures = [store.messages.append(_request(a, "ab", f"m{n % 2}")) for n in range(6)]
        out = await asyncio.gather(*futures)
        assert [(r.message.message_id, r.duplicate) for r in out if isinstance(r, Stored)] == [
            (2, False),
            (3, False),
            (2, True),
            (3, True),
            (2, True),
            (3, True),
        ]
    finally:
        await store.close()


async def test_outcomes_handed_straight_to_a_callback(tmp_path: Path) -> None:
    """`append_then` calls back as the durable outcome reaches the loop (no future):
    with the outcome, with the error of a send that failed, and a callback that raises
    keeps no other from its outcome."""
    store, a, _, _ = await _world(tmp_path)
    try:
        got: list[tuple[object, object]] = []
        done = asyncio.Event()

        def then(result: object, exc: BaseException | None) -> None:
            got.append((result, exc))
            if len(got) == 3:
                done.set()

        def broken(result: object, exc: BaseException | None) -> None:
            raise RuntimeError("a caller's bug")

        store.messages.append_then(_request(a, "ab", "t1"), then)
        store.messages.append_then(_request(a, "ab", "t2"), broken)
        store.messages.append_then(_request(a, "ab", "bad", attachment_ids=("missing",)), then)
        store.messages.append_then(_request(a, "ab", "t3"), then)
        await asyncio.wait_for(done.wait(), 10)
        first, failed, last = got
        assert isinstance(first[0], Stored) and first[0].message.message_id == 1
        assert failed[0] is None and isinstance(failed[1], Exception)
        assert isinstance(last[0], Stored) and last[0].message.message_id == 3
    finally:
        await store.close()
