"""Search on SQLite: the FTS5 trigram index (`search_text`, migrations/0007) for terms of
three characters or more, filtered by membership (channels the user is in now, messages
since they joined); shorter terms (a two-character Chinese word, "ok") are matched as
substrings of the candidates' text. A query of short terms only has no index to use: it
reads each of the user's channels newest first until enough match.

Messages sent since the indexer last ran (search_pending, a short tail) are not in the
index yet: they are matched directly, every term as a substring (bounded: `TAIL`), and
come first (they are the newest)."""

from __future__ import annotations

import heapq
import sqlite3
from typing import Any

from chinwag.messaging.models import Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.sqlite.rows import M_COLS, with_reactions

TRIGRAM = 3
# At most this many unindexed messages are read directly, newest first. The indexer
# keeps the backlog far below it; only a restart after a bulk import (bench prefill)
# leaves more, and then the older part is found once indexed.
TAIL = 10_000  # the indexer keeps the backlog under BACKLOG_MAX + one group commit


def _phrase(term: str) -> str:
    """An FTS5 string: anything inside double quotes is text, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(conn: sqlite3.Connection, q: SearchQuery) -> list[Message]:
    long = [t for t in q.terms if len(t) >= TRIGRAM]
    short = [t for t in q.terms if len(t) < TRIGRAM]
    # Never an end-to-end encrypted body (its text is U+0001 then opaque JSON).
    where = ["NOT m.deleted", "substr(m.text, 1, 1) <> char(1)"]
    params: list[Any] = []
    for term in short:
        where.append("m.text LIKE ? ESCAPE '\\'")
        params.append(_like(term))
    if long:
        tail = _pending(conn, q, where, params, long)
        sql = (
            f"SELECT {M_COLS} FROM search_text s"
            " JOIN search_docs d ON d.id = s.rowid"
            " JOIN members mb ON mb.channel_id = d.channel_id AND mb.user_id = ?"
            " JOIN messages m ON m.channel_id = d.channel_id AND m.message_id = d.message_id"
            " WHERE search_text MATCH ? AND d.created_at >= mb.joined_at"
        )
        head: list[Any] = [q.user_id, " ".join(_phrase(t) for t in long)]
        if q.channel_id is not None:
            sql += " AND d.channel_id = ?"
            head.append(q.channel_id)
        if q.before is not None:
            sql += " AND d.message_id < ?"
            head.append(q.before)
        sql += " AND " + " AND ".join(where) + " ORDER BY s.rowid DESC LIMIT ?"
        rows = tail
        if len(rows) < q.limit:
            # The indexer may have moved a tail message into the index between the two
            # reads: it is then in both, and kept once.
            seen = {(r[0], r[1]) for r in tail}
            more = conn.execute(sql, [*head, *params, q.limit]).fetchall()
            rows = tail + [r for r in more if (r[0], r[1]) not in seen]
        return with_reactions(conn, rows[: q.limit])
    return _scan(conn, q, where, params)


def _scan(
    conn: sqlite3.Connection, q: SearchQuery, where: list[str], params: list[Any]
) -> list[Message]:
    if q.channel_id is not None:
        channels = conn.execute(
            "SELECT channel_id, joined_at FROM members WHERE channel_id = ? AND user_id = ?",
            (q.channel_id, q.user_id),
        ).fetchall()
    else:
        channels = conn.execute(
            "SELECT channel_id, joined_at FROM members WHERE user_id = ?", (q.user_id,)
        ).fetchall()
    sql = (
        f"SELECT {M_COLS} FROM messages m WHERE m.channel_id = ? AND m.message_id < ?"
        " AND m.created_at >= ? AND " + " AND ".join(where) + " ORDER BY m.message_id DESC LIMIT ?"
    )
    found: list[Any] = []
    upper = q.before if q.before is not None else 1 << 62
    for channel_id, joined_at in channels:
        found += conn.execute(sql, [channel_id, upper, joined_at, *params, q.limit]).fetchall()
    newest = heapq.nlargest(q.limit, found, key=lambda r: (r[4], r[1]))
    return with_reactions(conn, newest)


def _pending(
    conn: sqlite3.Connection,
    q: SearchQuery,
    where: list[str],
    params: list[Any],
    long: list[str],
) -> list[Any]:
    """Matches among the messages not indexed yet, newest first."""
    sql = (
        f"SELECT {M_COLS} FROM (SELECT * FROM search_pending ORDER BY id DESC LIMIT {TAIL}) p"
        " JOIN members mb ON mb.channel_id = p.channel_id AND mb.user_id = ?"
        " JOIN messages m ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
        " WHERE m.created_at >= mb.joined_at"
    )
    args: list[Any] = [q.user_id]
    if q.channel_id is not None:
        sql += " AND p.channel_id = ?"
        args.append(q.channel_id)
    if q.before is not None:
        sql += " AND p.message_id < ?"
        args.append(q.before)
    for term in long:
        sql += " AND m.text LIKE ? ESCAPE '\\'"
        args.append(_like(term))
    sql += " AND " + " AND ".join(where) + " ORDER BY p.id DESC LIMIT ?"
    rows: list[Any] = conn.execute(sql, [*args, *params, q.limit]).fetchall()
    return rows
