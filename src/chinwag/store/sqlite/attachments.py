"""Attachment records on SQLite (links to messages are written by the send, messages.py)."""

from __future__ import annotations

import sqlite3

from chinwag.media.models import Attachment
from chinwag.media.store import MessageKey
from chinwag.store.sqlite.db import Database, WriterState

_COLS = "id, owner_id, name, size, content_type, sha256, width, height, thumbnail, created_at"
_A_COLS = ", ".join("a." + c.strip() for c in _COLS.split(","))


def _attachment(row: tuple[object, ...]) -> Attachment:
    r = list(row)
    r[8] = bool(r[8])
    return Attachment(*r)  # type: ignore[arg-type]


class SqliteAttachments:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, attachment: Attachment) -> None:
        a = attachment

        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                f"INSERT INTO attachments ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    a.id,
                    a.owner_id,
                    a.name,
                    a.size,
                    a.content_type,
                    a.sha256,
                    a.width,
                    a.height,
                    int(a.thumbnail),
                    a.created_at,
                ),
            )

        await self._db.write(job)

    async def readable(self, attachment_id: str, user_id: str) -> Attachment | None:
        def q(conn: sqlite3.Connection) -> Attachment | None:
            row = conn.execute(
                f"SELECT {_COLS} FROM attachments a WHERE a.id = ? AND (a.owner_id = ?"
                " OR EXISTS (SELECT 1 FROM message_attachments l JOIN members m"
                " ON m.channel_id = l.channel_id WHERE l.attachment_id = a.id"
                " AND m.user_id = ?) OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = a.id))",
                (attachment_id, user_id, user_id),
            ).fetchone()
            return _attachment(row) if row is not None else None

        return await self._db.read(q)

    async def owned(self, ids: list[str], owner_id: str) -> list[Attachment]:
        def q(conn: sqlite3.Connection) -> list[Attachment]:
            marks = ", ".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT {_COLS} FROM attachments WHERE id IN ({marks}) AND owner_id = ?",
                (*ids, owner_id),
            ).fetchall()
            return [_attachment(r) for r in rows]

        return await self._db.read(q) if ids else []

    async def for_messages(self, keys: list[MessageKey]) -> dict[MessageKey, list[Attachment]]:
        if not keys:
            return {}

        def q(conn: sqlite3.Connection) -> dict[MessageKey, list[Attachment]]:
            out: dict[MessageKey, list[Attachment]] = {}
            by_channel: dict[str, list[int]] = {}
            for cid, mid in keys:
                by_channel.setdefault(cid, []).append(mid)
            for cid, mids in by_channel.items():
                marks = ", ".join("?" * len(mids))
                rows = conn.execute(
                    f"SELECT l.message_id, {_A_COLS} FROM message_attachments l"
                    " JOIN attachments a ON a.id = l.attachment_id"
                    f" WHERE l.channel_id = ? AND l.message_id IN ({marks})"
                    " ORDER BY l.message_id, l.position",
                    (cid, *mids),
                ).fetchall()
                for row in rows:
                    out.setdefault((cid, row[0]), []).append(_attachment(row[1:]))
            return out

        return await self._db.read(q)

    async def unsent(self, created_before: int, limit: int) -> list[Attachment]:
        def q(conn: sqlite3.Connection) -> list[Attachment]:
            rows = conn.execute(
                f"SELECT {_COLS} FROM attachments a WHERE a.created_at < ? AND NOT EXISTS"
                " (SELECT 1 FROM message_attachments l WHERE l.attachment_id = a.id)"
                " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = a.id)"
                " ORDER BY a.created_at LIMIT ?",
                (created_before, limit),
            ).fetchall()
            return [_attachment(r) for r in rows]

        return await self._db.read(q)

    async def delete_unsent(self, attachment_id: str) -> bool:
        # On the writer thread, like every send: no send can link it in between.
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            cur = conn.execute(
                "DELETE FROM attachments WHERE id = ? AND NOT EXISTS"
                " (SELECT 1 FROM message_attachments l WHERE l.attachment_id = ?)"
                " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = ?)",
                (attachment_id, attachment_id, attachment_id),
            )
            return cur.rowcount > 0

        result: bool = await self._db.write(job)
        return result
