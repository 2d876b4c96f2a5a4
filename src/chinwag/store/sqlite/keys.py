"""The end-to-end encryption key directory, to-device queues and key backup on SQLite.

Writes run as jobs on the single writer thread, so each is one transaction and claims
of one-time keys are atomic (a key is read and deleted in the same job). Jobs check
every limit before writing anything: a job that returns commits what it wrote.
"""

from __future__ import annotations

import sqlite3

from chinwag.e2ee.models import Backup, BackupKey, ClaimedKey, QueueFull, SignedKey, ToDeviceEvent
from chinwag.store.sqlite.db import Database, WriterState

_FULL = "full"


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _counts(conn: sqlite3.Connection, device_id: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT algorithm, count(*) FROM e2ee_one_time_keys WHERE device_id = ? GROUP BY algorithm",
        (device_id,),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


class SqliteKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def related(self, user_id: str, others: list[str]) -> set[str]:
        if not others:
            return set()

        def q(conn: sqlite3.Connection) -> set[str]:
            rows = conn.execute(
                f"SELECT u.id FROM users u WHERE u.id IN ({_marks(len(others))}) AND (u.id = ?"
                " OR EXISTS (SELECT 1 FROM friendships f"
                " WHERE f.user_id = ? AND f.friend_id = u.id)"
                " OR EXISTS (SELECT 1 FROM members a JOIN members b ON b.channel_id = a.channel_id"
                " WHERE a.user_id = ? AND b.user_id = u.id))",
                (*others, user_id, user_id, user_id),
            ).fetchall()
            return {r[0] for r in rows}

        return await self._db.read(q)

    async def audience(self, user_id: str) -> list[str]:
        def q(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT ? UNION SELECT friend_id FROM friendships WHERE user_id = ?"
                " UNION SELECT b.user_id FROM members a"
                " JOIN channels c ON c.id = a.channel_id AND c.encrypted"
                " JOIN members b ON b.channel_id = a.channel_id WHERE a.user_id = ?",
                (user_id, user_id, user_id),
            ).fetchall()
            return [r[0] for r in rows]

        return await self._db.read(q)

    async def devices_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        if not user_ids:
            return {}

        def q(conn: sqlite3.Connection) -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for user_id, device_id in conn.execute(
                f"SELECT user_id, id FROM devices WHERE user_id IN ({_marks(len(user_ids))})"
                " AND revoked_at IS NULL ORDER BY user_id, id",
                user_ids,
            ):
                out.setdefault(user_id, []).append(device_id)
            return out

        return await self._db.read(q)

    async def upload(
        self,
        user_id: str,
        device_id: str,
        device_keys: str | None,
        one_time: list[SignedKey],
        fallback: list[SignedKey],
        at: int,
        max_stored: int,
    ) -> tuple[dict[str, int], bool] | None:
        def job(conn: sqlite3.Connection, state: WriterState) -> tuple[dict[str, int], bool] | None:
            held = conn.execute(
                "SELECT count(*) FROM e2ee_one_time_keys WHERE device_id = ?", (device_id,)
            ).fetchone()[0]
            fresh = [
                k
                for k in one_time
                if conn.execute(
                    "SELECT 1 FROM e2ee_one_time_keys WHERE device_id = ? AND key_id = ?",
                    (device_id, k.key_id),
                ).fetchone()
                is None
            ]
            if held + len(fresh) > max_stored:
                return None
            changed = False
            if device_keys is not None:
                old = conn.execute(
                    "SELECT body FROM e2ee_device_keys WHERE device_id = ?", (device_id,)
                ).fetchone()
                if old is None or old[0] != device_keys:
                    conn.execute(
                        "INSERT OR REPLACE INTO e2ee_device_keys"
                        " (device_id, user_id, body, updated_at) VALUES (?, ?, ?, ?)",
                        (device_id, user_id, device_keys, at),
                    )
                    changed = True
            conn.executemany(
                "INSERT INTO e2ee_one_time_keys (device_id, key_id, algorithm, body)"
                " VALUES (?, ?, ?, ?)",
                [(device_id, k.key_id, k.algorithm, k.body) for k in fresh],
            )
            for k in fallback:
                conn.execute(
                    "INSERT INTO e2ee_fallback_keys (device_id, algorithm, key_id, body)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (device_id, algorithm) DO UPDATE"
                    " SET key_id = excluded.key_id, body = excluded.body, used = 0"
                    " WHERE key_id <> excluded.key_id",
                    (device_id, k.algorithm, k.key_id, k.body),
                )
            return _counts(conn, device_id), changed

        result: tuple[dict[str, int], bool] | None = await self._db.write(job)
        return result

    async def key_counts(self, device_id: str) -> tuple[dict[str, int], list[str]]:
        def q(conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
            unused = conn.execute(
                "SELECT algorithm FROM e2ee_fallback_keys WHERE device_id = ? AND NOT used"
                " ORDER BY algorithm",
                (device_id,),
            ).fetchall()
            return _counts(conn, device_id), [r[0] for r in unused]

        return await self._db.read(q)

    async def device_keys(self, user_ids: list[str]) -> list[tuple[str, str, str]]:
        if not user_ids:
            return []

        def q(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
            rows = conn.execute(
                "SELECT k.user_id, k.device_id, k.body FROM e2ee_device_keys k"
                " JOIN devices d ON d.id = k.device_id AND d.revoked_at IS NULL"
                f" WHERE k.user_id IN ({_marks(len(user_ids))}) ORDER BY k.user_id, k.device_id",
                user_ids,
            ).fetchall()
            return [(r[0], r[1], r[2]) for r in rows]

        return await self._db.read(q)

    async def claim(self, wanted: list[tuple[str, str, str]]) -> list[ClaimedKey]:
        def job(conn: sqlite3.Connection, state: WriterState) -> list[ClaimedKey]:
            out: list[ClaimedKey] = []
            for user_id, device_id, algorithm in wanted:
                row = conn.execute(
                    "SELECT key_id, body FROM e2ee_one_time_keys"
                    " WHERE device_id = ? AND algorithm = ? ORDER BY key_id LIMIT 1",
                    (device_id, algorithm),
                ).fetchone()
                if row is not None:
                    conn.execute(
                        "DELETE FROM e2ee_one_time_keys WHERE device_id = ? AND key_id = ?",
                        (device_id, row[0]),
                    )
                else:
                    row = conn.execute(
                        "SELECT key_id, body FROM e2ee_fallback_keys"
                        " WHERE device_id = ? AND algorithm = ?",
                        (device_id, algorithm),
                    ).fetchone()
                    if row is None:
                        continue
                    conn.execute(
                        "UPDATE e2ee_fallback_keys SET used = 1"
                        " WHERE device_id = ? AND algorithm = ?",
                        (device_id, algorithm),
                    )
                out.append(ClaimedKey(user_id, device_id, row[0], row[1]))
            return out

        result: list[ClaimedKey] = await self._db.write(job)
        return result

    async def put_to_device(
        self,
        sender_id: str,
        sender_device: str,
        txn_id: str,
        event_type: str,
        messages: list[tuple[str, str]],
        at: int,
        *,
        max_pending: int,
        txn_keep_ms: int,
    ) -> list[tuple[str, int]] | None:
        def job(conn: sqlite3.Connection, state: WriterState) -> list[tuple[str, int]] | str | None:
            seen = conn.execute(
                "SELECT 1 FROM e2ee_to_device_txns WHERE device_id = ? AND txn_id = ?",
                (sender_device, txn_id),
            ).fetchone()
            if seen is not None:
                return None
            adding: dict[str, int] = {}
            for device_id, _ in messages:
                adding[device_id] = adding.get(device_id, 0) + 1
            for device_id, n in adding.items():
                pending = conn.execute(
                    "SELECT count(*) FROM e2ee_to_device WHERE device_id = ?", (device_id,)
                ).fetchone()[0]
                if pending + n > max_pending:
                    return _FULL + device_id
            conn.execute(
                "DELETE FROM e2ee_to_device_txns WHERE device_id = ? AND created_at < ?",
                (sender_device, at - txn_keep_ms),
            )
            conn.execute(
                "INSERT INTO e2ee_to_device_txns (device_id, txn_id, created_at) VALUES (?, ?, ?)",
                (sender_device, txn_id, at),
            )
            out: list[tuple[str, int]] = []
            for device_id, content in messages:
                row = conn.execute(
                    "INSERT INTO e2ee_to_device_heads (device_id, seq) VALUES (?, 1)"
                    " ON CONFLICT (device_id) DO UPDATE SET seq = seq + 1 RETURNING seq",
                    (device_id,),
                ).fetchone()
                conn.execute(
                    "INSERT INTO e2ee_to_device (device_id, seq, sender_id, sender_device, type,"
                    " content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (device_id, row[0], sender_id, sender_device, event_type, content, at),
                )
                out.append((device_id, row[0]))
            return out

        result: list[tuple[str, int]] | str | None = await self._db.write(job)
        if isinstance(result, str):
            raise QueueFull(result[len(_FULL) :])
        return result

    async def to_device_after(self, device_id: str, after: int, limit: int) -> list[ToDeviceEvent]:
        def q(conn: sqlite3.Connection) -> list[ToDeviceEvent]:
            rows = conn.execute(
                "SELECT seq, sender_id, sender_device, type, content FROM e2ee_to_device"
                " WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (device_id, after, limit),
            ).fetchall()
            return [ToDeviceEvent(*r) for r in rows]

        return await self._db.read(q)

    async def ack_to_device(self, device_id: str, upto: int) -> None:
        def job(conn: sqlite3.Connection, state: WriterState) -> None:
            conn.execute(
                "DELETE FROM e2ee_to_device WHERE device_id = ? AND seq <= ?", (device_id, upto)
            )

        await self._db.write(job)

    async def get_backup(self, user_id: str) -> Backup | None:
        def q(conn: sqlite3.Connection) -> Backup | None:
            row = conn.execute(
                "SELECT version, algorithm, auth_data,"
                " (SELECT count(*) FROM e2ee_backup_keys k WHERE k.user_id = b.user_id)"
                " FROM e2ee_backup b WHERE user_id = ?",
                (user_id,),
            ).fetchone()
            return Backup(*row) if row else None

        return await self._db.read(q)

    async def new_backup(self, user_id: str, algorithm: str, auth_data: str) -> int:
        def job(conn: sqlite3.Connection, state: WriterState) -> int:
            conn.execute("DELETE FROM e2ee_backup_keys WHERE user_id = ?", (user_id,))
            row = conn.execute(
                "INSERT INTO e2ee_backup (user_id, version, algorithm, auth_data)"
                " VALUES (?, 1, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                " SET version = version + 1, algorithm = excluded.algorithm,"
                " auth_data = excluded.auth_data RETURNING version",
                (user_id, algorithm, auth_data),
            ).fetchone()
            return int(row[0])

        result: int = await self._db.write(job)
        return result

    async def put_backup_keys(
        self, user_id: str, version: int, keys: list[BackupKey], max_sessions: int
    ) -> int | None:
        def job(conn: sqlite3.Connection, state: WriterState) -> int | None:
            row = conn.execute(
                "SELECT version FROM e2ee_backup WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None or row[0] != version:
                return None
            held = conn.execute(
                "SELECT count(*) FROM e2ee_backup_keys WHERE user_id = ?", (user_id,)
            ).fetchone()[0]
            fresh = sum(
                1
                for k in keys
                if conn.execute(
                    "SELECT 1 FROM e2ee_backup_keys WHERE user_id = ? AND room_id = ?"
                    " AND session_id = ?",
                    (user_id, k.room_id, k.session_id),
                ).fetchone()
                is None
            )
            if held + fresh > max_sessions:
                return None
            conn.executemany(
                "INSERT OR REPLACE INTO e2ee_backup_keys (user_id, room_id, session_id, body)"
                " VALUES (?, ?, ?, ?)",
                [(user_id, k.room_id, k.session_id, k.body) for k in keys],
            )
            return int(held + fresh)

        result: int | None = await self._db.write(job)
        return result

    async def backup_keys(self, user_id: str, version: int) -> list[BackupKey]:
        def q(conn: sqlite3.Connection) -> list[BackupKey]:
            rows = conn.execute(
                "SELECT k.room_id, k.session_id, k.body FROM e2ee_backup_keys k"
                " JOIN e2ee_backup b ON b.user_id = k.user_id AND b.version = ?"
                " WHERE k.user_id = ? ORDER BY k.room_id, k.session_id",
                (version, user_id),
            ).fetchall()
            return [BackupKey(*r) for r in rows]

        return await self._db.read(q)
