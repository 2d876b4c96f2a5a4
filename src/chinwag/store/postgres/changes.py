"""Edits, deletes and reactions on PostgreSQL: one transaction each, which changes the
row (the trigram index follows) and appends an inbox entry per member through
`chinwag_inbox_event` (migrations/0011), which takes the locks in the order sends take
them, so the change takes each member's next seq."""

from __future__ import annotations

from typing import Any

from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    Delete,
    Edit,
    Event,
    Message,
    React,
    Version,
    refused_by_channel,
)
from chinwag.store.postgres.rows import MSG_COLS, with_reactions

# Reading one message by its key probes each time bucket's partition for the channel.
_ONE = f"SELECT {MSG_COLS} FROM messages m WHERE m.channel_id = $1 AND m.message_id = $2"


async def one_message(conn: Any, channel_id: str, message_id: int) -> Message | None:
    row = await conn.fetchrow(_ONE, channel_id, message_id)
    if row is None:
        return None
    return (await with_reactions(conn, [row]))[0]


async def _apply(conn: Any, cid: str, mid: int, change: Change) -> tuple[Event, bool]:
    if isinstance(change, Edit):
        if change.keep_history:
            await conn.execute(
                "INSERT INTO message_versions"
                " (channel_id, message_id, version, text, mentions, replaced_at, since)"
                " SELECT m.channel_id, m.message_id, 1 + (SELECT coalesce(max(v.version), 0)"
                "   FROM message_versions v WHERE v.channel_id = $1 AND v.message_id = $2),"
                " m.text, m.mentions, $3, coalesce(m.edited_at, m.created_at) FROM messages m"
                " WHERE m.channel_id = $1 AND m.message_id = $2",
                cid,
                mid,
                change.at,
            )
        await conn.execute(
            "UPDATE messages SET text = $3, mentions = $4, edited_at = $5"
            " WHERE channel_id = $1 AND message_id = $2",
            cid,
            mid,
            change.text,
            list(change.mentions),
            change.at,
        )
        return Event.EDITED, True
    if isinstance(change, Delete):
        # Tombstone: the text leaves the row and so the trigram index.
        await conn.execute(
            "UPDATE messages SET text = '', mentions = '{}', reply_to = NULL, deleted = TRUE"
            " WHERE channel_id = $1 AND message_id = $2",
            cid,
            mid,
        )
        await conn.execute(
            "DELETE FROM reactions WHERE channel_id = $1 AND message_id = $2", cid, mid
        )
        # Its earlier texts go with it (kept only for admins while the setting is on).
        await conn.execute(
            "DELETE FROM message_versions WHERE channel_id = $1 AND message_id = $2", cid, mid
        )
        # Its files are no longer readable through it (the sweep takes unsent uploads).
        await conn.execute(
            "DELETE FROM message_attachments WHERE channel_id = $1 AND message_id = $2", cid, mid
        )
        return Event.DELETED, True
    assert isinstance(change, React)
    if change.add:
        status = await conn.execute(
            "INSERT INTO reactions (channel_id, message_id, emoji, user_id, created_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            cid,
            mid,
            change.emoji,
            change.user_id,
            change.at,
        )
    else:
        status = await conn.execute(
            "DELETE FROM reactions WHERE channel_id = $1 AND message_id = $2 AND emoji = $3"
            " AND user_id = $4",
            cid,
            mid,
            change.emoji,
            change.user_id,
        )
    return Event.REACTION, not status.endswith(" 0")


async def change_message(conn: Any, cid: str, mid: int, change: Change) -> Changed | ChangeRefusal:
    # Locks first, in the order sends take them (bucket lock, channel row): the event
    # function below takes them again, which is free once held.
    await conn.execute("SELECT pg_advisory_xact_lock_shared(7163091130502964993)")
    channel = await conn.fetchrow(
        "SELECT fanout, encrypted, closed FROM channels WHERE id = $1 FOR NO KEY UPDATE", cid
    )
    deleted = await conn.fetchval(
        "SELECT deleted FROM messages WHERE channel_id = $1 AND message_id = $2 FOR UPDATE",
        cid,
        mid,
    )
    if deleted is None:
        return ChangeRefusal.NO_MESSAGE
    if deleted and not isinstance(change, Delete):
        return ChangeRefusal.DELETED
    refused = refused_by_channel(change, channel["encrypted"], channel["closed"])
    if refused is not None:
        return refused
    event, changed = (Event.DELETED, False) if deleted else await _apply(conn, cid, mid, change)
    message = await one_message(conn, cid, mid)
    assert message is not None
    if not changed:
        return Changed(event, message, {}, (), changed=False)
    members: tuple[str, ...] = tuple(
        r[0] for r in await conn.fetch("SELECT user_id FROM members WHERE channel_id = $1", cid)
    )
    cursors: dict[str, int] = {}
    if channel["fanout"] == "write":
        for user_id, seq in await conn.fetch(
            "SELECT o_user_id, o_seq FROM chinwag_inbox_event($1, $2, $3)", cid, mid, event.value
        ):
            cursors[user_id] = seq
    return Changed(event, message, cursors, members)


async def versions(conn: Any, cid: str, mid: int) -> list[Version]:
    rows = await conn.fetch(
        "SELECT version, text, mentions, since, replaced_at FROM message_versions"
        " WHERE channel_id = $1 AND message_id = $2 ORDER BY version",
        cid,
        mid,
    )
    return [Version(r[0], r[1], tuple(r[2]), r[3], r[4]) for r in rows]
