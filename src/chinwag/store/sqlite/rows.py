"""Message rows on SQLite as Messages, with their reactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from chinwag.messaging.models import Message, Reactions

MSG_COLS = (
    "channel_id, message_id, sender_id, text, created_at, client_msg_id,"
    " reply_to, mentions, edited_at, deleted"
)
M_COLS = ", ".join("m." + c.strip() for c in MSG_COLS.split(","))


def to_message(row: Sequence[Any], reactions: Reactions = ()) -> Message:
    """A row of `MSG_COLS` as a Message."""
    return Message(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        tuple(row[7].split()) if row[7] else (),
        row[8],
        bool(row[9]),
        reactions,
    )


def with_reactions(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[Message]:
    """Messages of `MSG_COLS` rows with their reactions: one range read per channel."""
    spans: dict[str, tuple[int, int]] = {}
    for r in rows:
        lo, hi = spans.get(r[0], (r[1], r[1]))
        spans[r[0]] = (min(lo, r[1]), max(hi, r[1]))
    found: dict[tuple[str, int], dict[str, list[str]]] = {}
    for cid, (lo, hi) in spans.items():
        for mid, emoji, user_id in conn.execute(
            "SELECT message_id, emoji, user_id FROM reactions WHERE channel_id = ?"
            " AND message_id BETWEEN ? AND ? ORDER BY message_id, created_at, user_id",
            (cid, lo, hi),
        ):
            found.setdefault((cid, mid), {}).setdefault(emoji, []).append(user_id)
    out = []
    for r in rows:
        by_emoji = found.get((r[0], r[1]))
        reactions = tuple((e, tuple(u)) for e, u in by_emoji.items()) if by_emoji else ()
        out.append(to_message(r, reactions))
    return out


def members_named(conn: sqlite3.Connection, channel_id: str, usernames: list[str]) -> list[str]:
    marks = ", ".join("?" * len(usernames))
    rows = conn.execute(
        "SELECT u.id FROM users u JOIN members mb ON mb.user_id = u.id"
        f" WHERE mb.channel_id = ? AND u.username_key IN ({marks})",
        (channel_id, *usernames),
    ).fetchall()
    return [r[0] for r in rows]


def one_message(conn: sqlite3.Connection, channel_id: str, message_id: int) -> Message | None:
    row = conn.execute(
        f"SELECT {MSG_COLS} FROM messages WHERE channel_id = ? AND message_id = ?",
        (channel_id, message_id),
    ).fetchone()
    return None if row is None else with_reactions(conn, [row])[0]
