"""The history on SQLite: messages appended to `messages_recent`, moved into `messages_main`.

`messages_main` is clustered by (channel_id, message_id), so a conversation's newest row
lands in the middle of the tree. At window 1 each message of a commit is in another
conversation, so each took a leaf of its own, and with the siblings SQLite rebalances a
full leaf with, ~2 log frames a message (4 KiB each, copied again by the checkpoint):
once the inbox's entries were gathered, most of what a send wrote. So a send appends its
row to `messages_recent`, a rowid table whose last pages a commit's rows share, with an
index small enough (the rows waiting) that its leaves are shared too, and the writer's
background step (`move`, recent.py) moves the rows into `messages_main` once
RECENT_MOVE have gathered (or the writer is quiet), a conversation's rows together.

`messages` is a view of both tables, and readers name it: SQLite flattens a view of
UNION ALL and pushes each lookup's conditions into both arms, so a read by
(channel_id, message_id) is one seek in each table. max() over the view would read a
whole conversation, and neither a correlated subquery nor a join with the search index
(a virtual table) is pushed into the view's tables (each would read both whole), so
those take each table on its own (`newest`, `either`, channels.py's read marker). A
join of many rows with the view reads those rows once for each table, so the hot ones
(an inbox read, the search index's and the keys' steps) LEFT JOIN both (`joined`). Writers
name the table, but for a send: it writes the view, whose trigger (migrations/0015)
writes the row to `messages_recent`, or straight into `messages_main` after a
transaction of several messages a conversation (`route`), with the send's other rows;
a move writes `messages_main` itself and fires no trigger. An edit writes both tables
(`update`; the message is in exactly one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from chinwag.store.sqlite.db import WriterState
from chinwag.store.sqlite.recent import MOVE_CHUNK, RECENT_MOVE, Move

TABLES = ("messages_main", "messages_recent")
COLUMNS = (
    "channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at,"
    " reply_to, mentions, edited_at, deleted"
)


def newest(channel: str) -> str:
    """SQL for the newest message id of the conversation `channel` (an SQL expression
    used twice), 0 if none: one seek in each table."""
    return (
        "max(coalesce((SELECT max(message_id) FROM messages_main"
        f" WHERE channel_id = {channel}), 0),"
        " coalesce((SELECT max(message_id) FROM messages_recent"
        f" WHERE channel_id = {channel}), 0))"
    )


def route(conn: sqlite3.Connection, state: WriterState, channel_id: str) -> None:
    """Before a send writes its row to `messages`: where the trigger writes it. A
    transaction after one whose conversations took two messages or more each (window
    16: ~16) writes straight into `messages_main`, whose page of each conversation it
    writes once for them all anyway; gathered, each row would be written twice."""
    direct = state.history_crowding.note(state.batch, (channel_id,), 1)
    if direct is not state.history_direct:
        conn.execute("UPDATE history_route SET direct = ?", (int(direct),))
        state.history_direct = direct


def either(columns: str, main: str = "a", recent: str = "b") -> str:
    """Select list of `columns` (comma-separated) from whichever of two aliases, LEFT
    JOINed to `messages_main` and `messages_recent` on one message's key (`joined`),
    found it."""
    return ", ".join(
        f"coalesce({main}.{c}, {recent}.{c}) AS {c}"
        for c in (c.strip() for c in columns.split(","))
    )


def joined(key: str, schema: str = "") -> str:
    """LEFT JOINs of both tables, as `a` and `b`, on the message whose channel_id and
    message_id the alias `key` holds; `FOUND` is true where one of them has it. Joined
    with the view instead, the rows of `key` would be read once for each table."""
    return "".join(
        f" LEFT JOIN {schema}{table} {alias} ON {alias}.channel_id = {key}.channel_id"
        f" AND {alias}.message_id = {key}.message_id"
        for table, alias in zip(TABLES, "ab", strict=True)
    )


FOUND = "coalesce(a.message_id, b.message_id) IS NOT NULL"


def update(
    conn: sqlite3.Connection, assignments: str, args: Sequence[object], cid: str, mid: int
) -> None:
    """UPDATE a message wherever it is (exactly one of the tables holds it)."""
    for table in TABLES:
        conn.execute(
            f"UPDATE {table} SET {assignments} WHERE channel_id = ? AND message_id = ?",
            (*args, cid, mid),
        )


def move(*, gather: int = RECENT_MOVE, chunk: int = MOVE_CHUNK) -> Move:
    """The background step's part for the history: a conversation's rows move together."""
    return Move(
        "messages_recent",
        "messages_main",
        COLUMNS,
        "channel_id, message_id",
        gather=gather,
        chunk=chunk,
    )
