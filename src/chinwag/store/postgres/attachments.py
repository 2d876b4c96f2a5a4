"""Attachment records on PostgreSQL (links to messages are written with the send,
appends.py)."""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.media.models import Attachment
from chinwag.media.store import MessageKey
from chinwag.store.postgres.db import Database

_COLS = "id, owner_id, name, size, content_type, sha256, width, height, thumbnail, created_at"
_A_COLS = ", ".join("a." + c.strip() for c in _COLS.split(","))


def _attachment(row: Any, at: int = 0) -> Attachment:
    return Attachment(*(row[at + n] for n in range(10)))


class PostgresAttachments:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, attachment: Attachment) -> None:
        a = attachment
        await self._db.execute(
            f"INSERT INTO attachments ({_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            a.id,
            a.owner_id,
            a.name,
            a.size,
            a.content_type,
            a.sha256,
            a.width,
            a.height,
            a.thumbnail,
            a.created_at,
        )

    async def readable(self, attachment_id: str, user_id: str) -> Attachment | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLS} FROM attachments a WHERE a.id = $1 AND (a.owner_id = $2"
            " OR EXISTS (SELECT 1 FROM message_attachments l JOIN members m"
            " ON m.channel_id = l.channel_id WHERE l.attachment_id = a.id AND m.user_id = $2)"
            " OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = a.id))",
            attachment_id,
            user_id,
        )
        return _attachment(row) if row is not None else None

    async def owned(self, ids: list[str], owner_id: str) -> list[Attachment]:
        if not ids:
            return []
        rows = await self._db.fetch(
            f"SELECT {_COLS} FROM attachments WHERE id = ANY($1::text[]) AND owner_id = $2",
            ids,
            owner_id,
        )
        return [_attachment(r) for r in rows]

    async def for_messages(self, keys: list[MessageKey]) -> dict[MessageKey, list[Attachment]]:
        if not keys:
            return {}
        rows = await self._db.fetch(
            f"SELECT l.channel_id, l.message_id, {_A_COLS}"
            " FROM unnest($1::text[], $2::bigint[]) AS k (channel_id, message_id)"
            " JOIN message_attachments l"
            " ON l.channel_id = k.channel_id AND l.message_id = k.message_id"
            " JOIN attachments a ON a.id = l.attachment_id"
            " ORDER BY l.channel_id, l.message_id, l.position",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        out: dict[MessageKey, list[Attachment]] = {}
        for row in rows:
            out.setdefault((row[0], row[1]), []).append(_attachment(row, 2))
        return out

    async def unsent(self, created_before: int, limit: int) -> list[Attachment]:
        rows = await self._db.fetch(
            f"SELECT {_COLS} FROM attachments a WHERE a.created_at < $1 AND NOT EXISTS"
            " (SELECT 1 FROM message_attachments l WHERE l.attachment_id = a.id)"
            " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = a.id)"
            " ORDER BY a.created_at LIMIT $2",
            created_before,
            limit,
        )
        return [_attachment(r) for r in rows]

    async def delete_unsent(self, attachment_id: str) -> bool:
        # A send (or an avatar change) that links it at the same moment either commits
        # first (then this deletes nothing, or fails on the foreign key: kept) or fails
        # on the foreign key after this commits.
        try:
            status = await self._db.execute(
                "DELETE FROM attachments a WHERE a.id = $1 AND NOT EXISTS"
                " (SELECT 1 FROM message_attachments l WHERE l.attachment_id = a.id)"
                " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_id = a.id)",
                attachment_id,
            )
        except asyncpg.ForeignKeyViolationError:
            return False
        return status.endswith(" 1")
