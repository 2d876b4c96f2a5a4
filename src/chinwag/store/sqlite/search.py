"""Search on SQLite: the FTS5 trigram index (`search_text`, migrations/0009) for terms of
three characters or more, one rowid range per channel of the caller (the channels the
user is in now, messages since they joined), so a query reads only what the caller may
see. The index keeps no positions: a term is asked as the trigrams that cover it and
each candidate's text is then checked for every term. Shorter terms (a two-character
Chinese word, "ok") are matched as substrings of the candidates' text. A query of short
terms only has no index to use: it reads each of the user's channels newest first until
enough match.

The index is a file of its own (`search`, attached; searchfile.py). Messages queued
since the indexer's last step (search_pending above the index's `upto`, a short tail:
new messages, and edited ones whose entry in the index may be out of date) are matched
directly, every term as a substring (bounded: `TAIL`). Every candidate, from the index
or the tail, is checked against the message as stored, so an out-of-date entry never
shows a message for text it no longer has."""

from __future__ import annotations

import heapq
import sqlite3
from typing import Any

from chinwag.messaging.models import Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.sqlite import history
from chinwag.store.sqlite.rows import M_COLS, MSG_COLS, with_reactions
from chinwag.store.sqlite.searchfile import MAX_ID, rebuild_cursor

TRIGRAM = 3
TEXT = 3  # the text's column in M_COLS
# At most this many unindexed messages are read directly, newest first. The indexer
# keeps the backlog far below it; only a restart after a bulk import (bench prefill)
# leaves more, and then the older part is found once indexed.
TAIL = 10_000  # the indexer keeps the backlog under BACKLOG_MAX + one group commit


def _trigrams(term: str) -> list[str]:
    """The FTS5 strings of trigrams that cover a term: every third one and the last.
    Each asked trigram is a doclist seek per channel, and overlapping ones add little
    selectivity; the candidate check sees the whole term. Inside double quotes all is
    text, never syntax."""
    last = len(term) - TRIGRAM
    starts = [*range(0, last, TRIGRAM), last]
    grams = dict.fromkeys(term[i : i + TRIGRAM] for i in starts)
    return ['"' + g.replace('"', '""') + '"' for g in grams]


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
    if not long:
        return _scan(conn, q, where, params)
    conn.execute("BEGIN")
    try:
        # The store's snapshot first, then the index's: the store's writer removes queue
        # entries only once the index has them, so whatever this snapshot of the queue
        # lacks, the (later) snapshot of the index has.
        conn.execute("SELECT 1 FROM main.search_pending LIMIT 1").fetchall()
        (upto,) = conn.execute("SELECT upto FROM search.search_state").fetchone()
        cursor = rebuild_cursor(conn, "search")
        tail = _pending(conn, q, where, params, long, upto)
        # A message may be in both (an edited one); it is kept once.
        seen = {(r[0], r[1]) for r in tail}
        more = _indexed(conn, q, where, params, long, cursor)
        rows = heapq.nlargest(
            q.limit,
            tail + [r for r in more if (r[0], r[1]) not in seen],
            key=lambda r: (r[4], r[1]),
        )
        return with_reactions(conn, rows)
    finally:
        conn.execute("COMMIT")


def _channels(conn: sqlite3.Connection, q: SearchQuery) -> list[Any]:
    """(channel_id, joined_at, channel number or None) of the caller's channels."""
    sql = (
        "SELECT mb.channel_id, mb.joined_at, c.id FROM members mb"
        " LEFT JOIN search.search_channels c ON c.channel_id = mb.channel_id"
        " WHERE mb.user_id = ?"
    )
    if q.channel_id is not None:
        return conn.execute(sql + " AND mb.channel_id = ?", (q.user_id, q.channel_id)).fetchall()
    return conn.execute(sql, (q.user_id,)).fetchall()


def _indexed(
    conn: sqlite3.Connection,
    q: SearchQuery,
    where: list[str],
    params: list[Any],
    long: list[str],
    rebuilt_upto: tuple[str, int] | None = None,
) -> list[Any]:
    """The newest `q.limit` indexed matches over the caller's channels: one range read per
    channel, newest first, each stopping at `q.limit` confirmed matches. While the index
    is rebuilt (`rebuilt_upto`: its cursor), a channel it has not wholly passed is read
    directly instead, newest first, as a query of short terms is."""
    match = " ".join(g for t in long for g in _trigrams(t))
    # Candidates are checked for the whole terms: an ASCII term by LIKE in the query
    # (the same folding as the index's for ASCII), any other in Python, case-folded.
    where = list(where)
    params = list(params)
    for t in long:
        if t.isascii():
            where.append("m.text LIKE ? ESCAPE '\\'")
            params.append(_like(t))
    folded = [t.lower() for t in long if not t.isascii()]
    # The message of each match in whichever table of the history holds it (history.py:
    # a join of the index with the view would read the whole channel first).
    sql = (
        f"SELECT {M_COLS} FROM (SELECT s.rowid AS match_id, {history.either(MSG_COLS)}"
        " FROM search.search_text s"
        " LEFT JOIN messages_main a ON a.channel_id = ?1 AND a.message_id = ?2 - s.rowid"
        " LEFT JOIN messages_recent b ON b.channel_id = ?1 AND b.message_id = ?2 - s.rowid"
        " WHERE search_text MATCH ?3 AND s.rowid BETWEEN ?4 AND ?5) m"
        " WHERE m.channel_id IS NOT NULL AND m.created_at >= ?6"
        " AND " + " AND ".join(where) + " ORDER BY m.match_id"
    )
    scan = _scan_sql(where)
    found: list[Any] = []
    for channel_id, joined_at, number in _channels(conn, q):
        if rebuilt_upto is not None and channel_id >= rebuilt_upto[0]:
            rows = conn.execute(scan, [channel_id, _upper(q), joined_at, *params])
        elif number is None:
            continue  # nothing of it indexed yet
        else:
            base = number << 32
            lo = base if q.before is None else base + MAX_ID - q.before + 1
            args = [channel_id, base | MAX_ID, match, lo, base | MAX_ID, joined_at, *params]
            rows = conn.execute(sql, args)
        kept = 0
        for row in rows:
            text = row[TEXT].lower()
            if all(t in text for t in folded):
                found.append(row)
                kept += 1
                if kept >= q.limit:
                    break
    return heapq.nlargest(q.limit, found, key=lambda r: (r[4], r[1]))


def _scan_sql(where: list[str]) -> str:
    """One channel's messages that pass `where`, newest first, below an id and from a
    time (the caller's join) on."""
    return (
        f"SELECT {M_COLS} FROM messages m WHERE m.channel_id = ? AND m.message_id < ?"
        " AND m.created_at >= ? AND " + " AND ".join(where) + " ORDER BY m.message_id DESC"
    )


def _upper(q: SearchQuery) -> int:
    return q.before if q.before is not None else 1 << 62


def _scan(
    conn: sqlite3.Connection, q: SearchQuery, where: list[str], params: list[Any]
) -> list[Message]:
    sql = _scan_sql(where) + " LIMIT ?"
    found: list[Any] = []
    for channel_id, joined_at, _ in _channels(conn, q):
        found += conn.execute(sql, [channel_id, _upper(q), joined_at, *params, q.limit]).fetchall()
    newest = heapq.nlargest(q.limit, found, key=lambda r: (r[4], r[1]))
    return with_reactions(conn, newest)


def _pending(
    conn: sqlite3.Connection,
    q: SearchQuery,
    where: list[str],
    params: list[Any],
    long: list[str],
    upto: int,
) -> list[Any]:
    """Matches among the messages queued after the index's `upto`, newest first. The
    tail LEFT JOINs both of the history's tables: joined with the view, it would be read
    (and indexed for the join) once for each."""
    sql = (
        f"SELECT {M_COLS} FROM (SELECT {history.either(MSG_COLS)}, mb.joined_at FROM"
        " (SELECT DISTINCT channel_id, message_id FROM"
        " (SELECT channel_id, message_id FROM search_pending WHERE id > ?"
        f"  ORDER BY id DESC LIMIT {TAIL})) p"
        " JOIN members mb ON mb.channel_id = p.channel_id AND mb.user_id = ?"
        f"{history.joined('p')} WHERE {history.FOUND}) m"
        " WHERE m.created_at >= m.joined_at"
    )
    args: list[Any] = [upto, q.user_id]
    if q.channel_id is not None:
        sql += " AND m.channel_id = ?"
        args.append(q.channel_id)
    if q.before is not None:
        sql += " AND m.message_id < ?"
        args.append(q.before)
    for term in long:
        sql += " AND m.text LIKE ? ESCAPE '\\'"
        args.append(_like(term))
    sql += " AND " + " AND ".join(where) + " ORDER BY m.created_at DESC, m.message_id DESC LIMIT ?"
    rows: list[Any] = conn.execute(sql, [*args, *params, q.limit]).fetchall()
    return rows
