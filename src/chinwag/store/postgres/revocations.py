"""Revocation notices on PostgreSQL (migrations/0014): written in the deactivating
transaction, read by a server with no bus to the process that wrote them."""

from __future__ import annotations

from typing import Any

KEEP_MS = 86_400_000
# Held by writers until commit, so seqs become visible in order: a reader's cursor never
# passes a seq whose transaction has yet to commit.
NOTICE_LOCK = 7163091130502964997


async def note(conn: Any, user_id: str, device_ids: list[str], at: int) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", NOTICE_LOCK)
    await conn.execute("DELETE FROM revocations WHERE at < $1", at - KEEP_MS)
    await conn.executemany(
        "INSERT INTO revocations (user_id, device_id, at) VALUES ($1, $2, $3)",
        [(user_id, d, at) for d in device_ids],
    )
