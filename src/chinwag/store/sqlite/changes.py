"""Edits, deletes and reactions on SQLite: one writer job each, which changes the row
(the search triggers follow) and appends an inbox entry per member with the writer's
inbox counters, exactly as a send does, so the change takes each member's next seq."""

from __future__ import annotations

import sqlite3

from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    Delete,
    Edit,
    Event,
    React,
    Version,
    refused_by_channel,
)
from chinwag.store.sqlite import history, inbox
from chinwag.store.sqlite.db import WriterState
from chinwag.store.sqlite.rows import MSG_COLS, with_reactions


def _apply(conn: sqlite3.Connection, cid: str, mid: int, change: Change) -> tuple[Event, bool]:
    if isinstance(change, Edit):
        if change.keep_history:
            conn.execute(
                "INSERT INTO message_versions"
                " (channel_id, message_id, version, text, mentions, replaced_at, since)"
                " SELECT m.channel_id, m.message_id, 1 + (SELECT coalesce(max(v.version), 0)"
                "   FROM message_versions v WHERE v.channel_id = ? AND v.message_id = ?),"
                " m.text, m.mentions, ?, coalesce(m.edited_at, m.created_at) FROM messages m"
                " WHERE m.channel_id = ? AND m.message_id = ?",
                (cid, mid, change.at, cid, mid),
            )
        history.update(
            conn,
            "text = ?, mentions = ?, edited_at = ?",
            (change.text, " ".join(change.mentions), change.at),
            cid,
            mid,
        )
        return Event.EDITED, True
    if isinstance(change, Delete):
        # Tombstone: the text leaves the row (and, by trigger, the search index).
        history.update(conn, "text = '', mentions = '', reply_to = NULL, deleted = 1", (), cid, mid)
        conn.execute("DELETE FROM reactions WHERE channel_id = ? AND message_id = ?", (cid, mid))
        # Its earlier texts go with it (kept only for admins while the setting is on).
        conn.execute(
            "DELETE FROM message_versions WHERE channel_id = ? AND message_id = ?", (cid, mid)
        )
        # Its files are no longer readable through it (the sweep takes unsent uploads).
        conn.execute(
            "DELETE FROM message_attachments WHERE channel_id = ? AND message_id = ?", (cid, mid)
        )
        return Event.DELETED, True
    assert isinstance(change, React)
    if change.add:
        n = conn.execute(
            "INSERT OR IGNORE INTO reactions (channel_id, message_id, emoji, user_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (cid, mid, change.emoji, change.user_id, change.at),
        ).rowcount
    else:
        n = conn.execute(
            "DELETE FROM reactions WHERE channel_id = ? AND message_id = ? AND emoji = ?"
            " AND user_id = ?",
            (cid, mid, change.emoji, change.user_id),
        ).rowcount
    return Event.REACTION, n > 0


def change_job(
    conn: sqlite3.Connection, state: WriterState, cid: str, mid: int, change: Change
) -> Changed | ChangeRefusal:
    row = conn.execute(
        "SELECT m.deleted, c.encrypted, c.closed FROM messages m JOIN channels c"
        " ON c.id = m.channel_id WHERE m.channel_id = ? AND m.message_id = ?",
        (cid, mid),
    ).fetchone()
    if row is None:
        return ChangeRefusal.NO_MESSAGE
    if row[0]:
        if isinstance(change, Delete):
            pass  # deleting again changes nothing
        else:
            return ChangeRefusal.DELETED
    refused = refused_by_channel(change, bool(row[1]), bool(row[2]))
    if refused is not None:
        return refused
    event, changed = (Event.DELETED, False) if row[0] else _apply(conn, cid, mid, change)
    current = conn.execute(
        f"SELECT {MSG_COLS} FROM messages WHERE channel_id = ? AND message_id = ?", (cid, mid)
    ).fetchone()
    message = with_reactions(conn, [current])[0]
    if not changed:
        return Changed(event, message, {}, (), changed=False)
    fanout = conn.execute("SELECT fanout FROM channels WHERE id = ?", (cid,)).fetchone()
    # Everyone in the channel now, the closed direct channels' two users included.
    members = tuple(
        r[0] for r in conn.execute("SELECT user_id FROM members WHERE channel_id = ?", (cid,))
    )
    cursors: dict[str, int] = {}
    if fanout is not None and fanout[0] == "write":
        rows: list[tuple[str, int, str, int, str | None]] = []
        for user_id in members:
            seq = cursors[user_id] = inbox.take_seq(conn, state, user_id)
            rows.append((user_id, seq, cid, mid, event.value))
        inbox.append(conn, state, rows)
    return Changed(event, message, cursors, members)


def versions(conn: sqlite3.Connection, cid: str, mid: int) -> list[Version]:
    rows = conn.execute(
        "SELECT version, text, mentions, since, replaced_at FROM message_versions"
        " WHERE channel_id = ? AND message_id = ? ORDER BY version",
        (cid, mid),
    ).fetchall()
    return [Version(r[0], r[1], tuple(r[2].split()), r[3], r[4]) for r in rows]
