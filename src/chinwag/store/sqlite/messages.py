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
from chinwag.store.sqlite import claims, history, inbox
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


def _original(conn: sqlite3.Connection, state: WriterState, req: SendRequest) -> Stored | None:
    dup = claims.claimed(conn, state, (req.device_id, req.client_msg_id))
    if dup is None:
        return None
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


def _append(conn: sqlite3.Connection, state: WriterState, req: SendRequest) -> Stored | SendRefusal:
    entry = _channel_members(conn, state, req.channel_id)
    if entry is None or req.sender_id not in entry[1]:
        # Refused unless it is a resend of something stored before (e.g. before leaving).
        original = _original(conn, state, req)
        if original is not None:
            return original
        return SendRefusal.NO_CHANNEL if entry is None else _refusal(conn, req)
    fanout, members, encrypted = entry
    if encrypted != req.encrypted:
        # Refused like a send to a channel it may not write to, so before its key is
        # looked up: a resend of a message from before the switch is refused too.
        return SendRefusal.ENCRYPTED if encrypted else SendRefusal.PLAIN
    cid = req.channel_id
    last = state.channel_seq.get(cid)
    if last is None:
        last = conn.execute(f"SELECT {history.newest('?1')}", (cid,)).fetchone()[0]
    mid = last + 1
    # A resend finds its key taken and gets the original back.
    original = _original(conn, state, req)
    if original is not None:
        return original
    claims.claims(conn, state)[(req.device_id, req.client_msg_id)] = (cid, mid)
    state.channel_seq[cid] = mid
    history.route(conn, state, cid)
    conn.execute(
        "INSERT INTO messages (channel_id, message_id, sender_id, device_id, client_msg_id, text,"
        " created_at, reply_to, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        ),
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
        conn.executemany(
            "INSERT INTO message_attachments (channel_id, message_id, position, attachment_id)"
            " VALUES (?, ?, ?, ?)",
            [(cid, mid, n, aid) for n, aid in enumerate(req.attachment_ids)],
        )
    cursors: dict[str, int] = {}
    if fanout == "write":
        rows = []
        inbox_seq = state.inbox_seq  # inbox.take_seq, inline on the hot path
        for user_id in members:
            seq = inbox_seq.get(user_id)
            seq = (inbox.seed(conn, state, user_id) if seq is None else seq) + 1
            inbox_seq[user_id] = cursors[user_id] = seq
            rows.append((user_id, seq, cid, mid, None))
        inbox.append(conn, state, rows)
    return Stored(message, cursors, members)


class SqliteMessages:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, request: SendRequest) -> asyncio.Future[Stored | SendRefusal]:
        return self._db.write(lambda conn, state: _append(conn, state, request))

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
