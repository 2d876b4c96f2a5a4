"""Revocation notices on SQLite (migrations/0010): written in the deactivating
transaction, read by a server with no bus to the process that wrote them."""

from __future__ import annotations

import sqlite3

KEEP_MS = 86_400_000


def note(conn: sqlite3.Connection, user_id: str, device_ids: list[str], at: int) -> None:
    conn.execute("DELETE FROM revocations WHERE at < ?", (at - KEEP_MS,))
    conn.executemany(
        "INSERT INTO revocations (user_id, device_id, at) VALUES (?, ?, ?)",
        [(user_id, d, at) for d in device_ids],
    )


def head(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM revocations").fetchone()
    return int(row[0])


def after(conn: sqlite3.Connection, seq: int, limit: int) -> list[tuple[int, str, str]]:
    rows = conn.execute(
        "SELECT seq, user_id, device_id FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, limit),
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
