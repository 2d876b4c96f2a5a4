"""Messages, the inbox and the send transaction on SQLite.

The send job runs on the writer thread. Per-channel message ids and per-user inbox seqs
are kept in the writer's caches (seeded from max() on first use) instead of counter rows,
so a message costs one history row and one inbox entry per member; its idempotency key
is written later, with others, by the background step (claims.py), and its row and
inbox entries are appended where a commit's rows share pages (history.py, inbox.py).
"""

from __future__ import annotations

import asyncio
import sqlite3

from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    InboxEntry,
    Message,
    SendRefusal,
    SendRequest,
    Stored,
    Version,
)
from chinwag.messaging.search import SearchQuery
from chinwag.messaging.store import Then
from chinwag.store.sqlite import bulk, claims, history, inbox
from chinwag.store.sqlite.changes import change_job, versions
from chinwag.store.sqlite.db import Database, WriterState
from chinwag.store.sqlite.rows import (
    MSG_COLS,
    members_named,
    one_message,
    with_reactions,
)
from chinwag.store.sqlite.search import search


class _Members(tuple[str, ...]):
    """A member tuple with O(1) `in`, for large groups."""

    _set: frozenset[str]

    def __new__(cls, ids: tuple[str, ...]) -> _Members:
        self = super().__new__(cls, ids)
        self._set = frozenset(ids)
        return self

    def __contains__(self, item: object) -> bool:
        return item in self._set


def _channel_members(
    conn: sqlite3.Connection, state: WriterState, channel_id: str
) -> tuple[str, tuple[str, ...], bool] | None:
    """(fanout, members taking part in new messages, end-to-end encrypted) of a channel,
    cached; whatever changes one of them drops the entry. A channel closed to new
    messages (see `direct.py`) has no such members, so the membership check that every
    send makes anyway refuses it, at no cost per message."""
    entry = state.members.get(channel_id)
    if entry is None:
        row = conn.execute(
            "SELECT fanout, closed, encrypted FROM channels WHERE id = ?", (channel_id,)
        ).fetchone()
        if row is None:
            return None
        ids = tuple(
            r[0]
            for r in conn.execute("SELECT user_id FROM members WHERE channel_id = ?", (channel_id,))
        )
        if row[1]:
            ids = ()
        entry = (row[0], ids if len(ids) <= 8 else _Members(ids), bool(row[2]))
        state.members[channel_id] = entry
    return entry


_INSERT = bulk.insert(
    "INSERT INTO messages (channel_id, message_id, sender_id, device_id, client_msg_id, text,"
    " created_at, reply_to, mentions)",
    9,
)
_ATTACH = bulk.insert(
    "INSERT INTO message_attachments (channel_id, message_id, position, attachment_id)", 4
)


class _Writes:
    """What a commit's sends write, held until `flush` writes it all in a few statements
    (bulk.py says why)."""

    __slots__ = ("attachments", "inbox", "messages")

    def __init__(self) -> None:
        self.messages: list[tuple[object, ...]] = []
        self.attachments: list[tuple[str, int, int, str]] = []
        self.inbox: list[tuple[str, int, str, int, str | None]] = []

    def flush(self, conn: sqlite3.Connection, state: WriterState) -> None:
        if self.messages:
            _INSERT(conn, self.messages)
            self.messages = []
        if self.attachments:
            _ATTACH(conn, self.attachments)
            self.attachments = []
        if self.inbox:
            inbox.append(conn, state, self.inbox)
            self.inbox = []


def _original(conn: sqlite3.Connection, dup: tuple[str, int]) -> Stored:
    row = conn.execute(
        f"SELECT {MSG_COLS} FROM messages WHERE channel_id = ? AND message_id = ?", dup
    ).fetchone()
    return Stored(with_reactions(conn, [row])[0], {}, (), duplicate=True)


def _refusal(conn: sqlite3.Connection, req: SendRequest) -> SendRefusal:
    """Why a sender who is not among a channel's writers is refused (the cold path)."""
    closed = conn.execute(
        "SELECT 1 FROM channels c JOIN members m ON m.channel_id = c.id"
        " WHERE c.id = ? AND m.user_id = ? AND c.closed",
        (req.channel_id, req.sender_id),
    ).fetchone()
    return SendRefusal.NOT_MEMBER if closed is None else SendRefusal.CLOSED


def append_many(
    conn: sqlite3.Connection, state: WriterState, requests: list[SendRequest]
) -> list[Stored | SendRefusal]:
    """A commit's sends, in order; their rows are written together at the end."""
    keys = [(req.device_id, req.client_msg_id) for req in requests]
    stored = claims.claimed_many(conn, state, keys)
    # The map of keys not yet in `sends`, as loaded for `claimed_many`: never loaded
    # again before this commit's rows are written, or it would miss their keys.
    known = state.claims
    assert known is not None
    writes = _Writes()
    out = [
        _append(conn, state, req, key, known, stored, writes)
        for req, key in zip(requests, keys, strict=True)
    ]
    writes.flush(conn, state)
    return out


def _append(
    conn: sqlite3.Connection,
    state: WriterState,
    req: SendRequest,
    key: tuple[str, str],
    known: dict[tuple[str, str], tuple[str, int]],
    stored: dict[tuple[str, str], tuple[str, int]],
    writes: _Writes,
) -> Stored | SendRefusal:
    """One send. `known`: the writer's map of keys (claims.py), `stored`: the keys of
    `append_many`'s requests stored before them."""
    entry = _channel_members(conn, state, req.channel_id)
    if entry is None or req.sender_id not in entry[1]:
        # Refused unless it is a resend of something stored before (e.g. before leaving).
        dup = known.get(key) or stored.get(key)
        if dup is not None:
            writes.flush(conn, state)
            return _original(conn, dup)
        return SendRefusal.NO_CHANNEL if entry is None else _refusal(conn, req)
    fanout, members, encrypted = entry
    if encrypted != req.encrypted:
        # Refused like a send to a channel it may not write to, so before its key is
        # looked up: a resend of a message from before the switch is refused too.
        return SendRefusal.ENCRYPTED if encrypted else SendRefusal.PLAIN
    # A resend finds its key taken and gets the original back.
    dup = known.get(key) or stored.get(key)
    if dup is not None:
        writes.flush(conn, state)
        return _original(conn, dup)
    cid = req.channel_id
    last = state.channel_seq.get(cid)
    if last is None:
        last = conn.execute(f"SELECT {history.newest('?1')}", (cid,)).fetchone()[0]
    mid = last + 1
    known[key] = (cid, mid)
    state.channel_seq[cid] = mid
    history.route(conn, state, cid)
    writes.messages.append(
        (
            cid,
            mid,
            req.sender_id,
            req.device_id,
            req.client_msg_id,
            req.text,
            req.created_at,
            req.reply_to,
            " ".join(req.mentions),
        )
    )
    message = Message(
        cid,
        mid,
        req.sender_id,
        req.text,
        req.created_at,
        req.client_msg_id,
        req.reply_to,
        req.mentions,
    )
    if req.attachment_ids:
        writes.attachments += [(cid, mid, n, aid) for n, aid in enumerate(req.attachment_ids)]
    cursors: dict[str, int] = {}
    if fanout == "write":
        rows = writes.inbox
        inbox_seq = state.inbox_seq  # inbox.take_seq, inline on the hot path
        for user_id in members:
            seq = inbox_seq.get(user_id)
            seq = (inbox.seed(conn, state, user_id) if seq is None else seq) + 1
            inbox_seq[user_id] = cursors[user_id] = seq
            rows.append((user_id, seq, cid, mid, None))
    return Stored(message, cursors, members)


def _sends(conn: sqlite3.Connection, state: WriterState, jobs: list[_Send]) -> list[object]:
    return list(append_many(conn, state, [job.request for job in jobs]))


class _Send:
    """A send job; the writer runs a commit's sends together (`group`, db.py)."""

    __slots__ = ("request",)
    group = staticmethod(_sends)

    def __init__(self, request: SendRequest) -> None:
        self.request = request

    def __call__(self, conn: sqlite3.Connection, state: WriterState) -> Stored | SendRefusal:
        return append_many(conn, state, [self.request])[0]


class SqliteMessages:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, request: SendRequest) -> asyncio.Future[Stored | SendRefusal]:
        return self._db.write(_Send(request))

    def append_then(self, request: SendRequest, then: Then) -> None:
        self._db.write_then(_Send(request), then)

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        def q(conn: sqlite3.Connection) -> list[Message]:
            if after is not None:
                rows = conn.execute(
                    f"SELECT {MSG_COLS} FROM messages WHERE channel_id = ? AND message_id > ?"
                    " AND message_id < ? ORDER BY message_id LIMIT ?",
                    (channel_id, after, before if before is not None else 1 << 62, limit),
                ).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {MSG_COLS} FROM messages WHERE channel_id = ? AND message_id < ?"
                    " ORDER BY message_id DESC LIMIT ?",
                    (channel_id, before if before is not None else 1 << 62, limit),
                ).fetchall()
                rows.reverse()
            return with_reactions(conn, rows)

        return await self._db.read(q)

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        def q(conn: sqlite3.Connection) -> list[InboxEntry]:
            rows = conn.execute(inbox.AFTER, (user_id, cursor, limit)).fetchall()
            messages = with_reactions(conn, [r[2:] for r in rows])
            return [InboxEntry(r[0], m, r[1]) for r, m in zip(rows, messages, strict=True)]

        return await self._db.read(q)

    async def message(self, channel_id: str, message_id: int) -> Message | None:
        return await self._db.read(lambda conn: one_message(conn, channel_id, message_id))

    def change(
        self, channel_id: str, message_id: int, change: Change
    ) -> asyncio.Future[Changed | ChangeRefusal]:
        return self._db.write(
            lambda conn, state: change_job(conn, state, channel_id, message_id, change)
        )

    async def members_named(self, channel_id: str, usernames: list[str]) -> list[str]:
        return await self._db.read(lambda conn: members_named(conn, channel_id, usernames))

    async def search(self, query: SearchQuery) -> list[Message]:
        return await self._db.read(lambda conn: search(conn, query))

    async def versions(self, channel_id: str, message_id: int) -> list[Version]:
        return await self._db.read(lambda conn: versions(conn, channel_id, message_id))

    async def inbox_head(self, user_id: str) -> int:
        def q(conn: sqlite3.Connection) -> int:
            row = conn.execute(inbox.HEAD, (user_id,)).fetchone()
            return int(row[0])

        return await self._db.read(q)
