"""The end-to-end encryption key directory, to-device queues and key backup on PostgreSQL.

Claims take one-time keys with `FOR UPDATE SKIP LOCKED` and delete them in the same
statement, so concurrent claims in any process never hand out one key twice. A device's
to-device seqs come from its row in `e2ee_to_device_heads`, moved under its lock; targets
are locked in device order, so concurrent senders cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from chinwag.e2ee.models import Backup, BackupKey, ClaimedKey, QueueFull, SignedKey, ToDeviceEvent
from chinwag.store.postgres.db import Database


async def _counts(conn: Any, device_id: str) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT algorithm, count(*) FROM e2ee_one_time_keys WHERE device_id = $1"
        " GROUP BY algorithm",
        device_id,
    )
    return {r[0]: int(r[1]) for r in rows}


async def _lock_user(conn: Any, prefix: str, user_id: str) -> None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{prefix}:{user_id}"
    )


class PostgresKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def related(self, user_id: str, others: list[str]) -> set[str]:
        if not others:
            return set()
        rows = await self._db.fetch(
            "SELECT u.id FROM users u WHERE u.id = ANY($2::text[]) AND (u.id = $1"
            " OR EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = u.id)"
            " OR EXISTS (SELECT 1 FROM members a JOIN members b ON b.channel_id = a.channel_id"
            " WHERE a.user_id = $1 AND b.user_id = u.id))",
            user_id,
            others,
        )
        return {r[0] for r in rows}

    async def audience(self, user_id: str) -> list[str]:
        rows = await self._db.fetch(
            "SELECT $1::text UNION SELECT friend_id FROM friendships WHERE user_id = $1"
            " UNION SELECT b.user_id FROM members a"
            " JOIN channels c ON c.id = a.channel_id AND c.encrypted"
            " JOIN members b ON b.channel_id = a.channel_id WHERE a.user_id = $1",
            user_id,
        )
        return [r[0] for r in rows]

    async def devices_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        if not user_ids:
            return {}
        rows = await self._db.fetch(
            "SELECT user_id, id FROM devices WHERE user_id = ANY($1::text[])"
            " AND revoked_at IS NULL ORDER BY user_id, id",
            user_ids,
        )
        out: dict[str, list[str]] = {}
        for user_id, device_id in rows:
            out.setdefault(user_id, []).append(device_id)
        return out

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
        async with self._db.transaction() as conn:
            await _lock_user(conn, "e2ee-device", device_id)
            ids = [k.key_id for k in one_time]
            held = await conn.fetchval(
                "SELECT count(*) FROM e2ee_one_time_keys WHERE device_id = $1", device_id
            )
            known = await conn.fetchval(
                "SELECT count(*) FROM e2ee_one_time_keys WHERE device_id = $1"
                " AND key_id = ANY($2::text[])",
                device_id,
                ids,
            )
            if held + len(ids) - known > max_stored:
                return None
            changed = False
            if device_keys is not None:
                old = await conn.fetchval(
                    "SELECT body FROM e2ee_device_keys WHERE device_id = $1", device_id
                )
                if old != device_keys:
                    await conn.execute(
                        "INSERT INTO e2ee_device_keys (device_id, user_id, body, updated_at)"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT (device_id) DO UPDATE"
                        " SET body = excluded.body, updated_at = excluded.updated_at",
                        device_id,
                        user_id,
                        device_keys,
                        at,
                    )
                    changed = True
            if one_time:
                await conn.execute(
                    "INSERT INTO e2ee_one_time_keys (device_id, key_id, algorithm, body)"
                    " SELECT $1, k, a, b FROM unnest($2::text[], $3::text[], $4::text[])"
                    " AS t (k, a, b) ON CONFLICT DO NOTHING",
                    device_id,
                    ids,
                    [k.algorithm for k in one_time],
                    [k.body for k in one_time],
                )
            for k in fallback:
                await conn.execute(
                    "INSERT INTO e2ee_fallback_keys (device_id, algorithm, key_id, body)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, algorithm) DO UPDATE"
                    " SET key_id = excluded.key_id, body = excluded.body, used = FALSE"
                    " WHERE e2ee_fallback_keys.key_id <> excluded.key_id",
                    device_id,
                    k.algorithm,
                    k.key_id,
                    k.body,
                )
            return await _counts(conn, device_id), changed

    async def key_counts(self, device_id: str) -> tuple[dict[str, int], list[str]]:
        async with self._db.connection() as conn:
            unused = await conn.fetch(
                "SELECT algorithm FROM e2ee_fallback_keys WHERE device_id = $1 AND NOT used"
                " ORDER BY algorithm",
                device_id,
            )
            return await _counts(conn, device_id), [r[0] for r in unused]

    async def device_keys(self, user_ids: list[str]) -> list[tuple[str, str, str]]:
        if not user_ids:
            return []
        rows = await self._db.fetch(
            "SELECT k.user_id, k.device_id, k.body FROM e2ee_device_keys k"
            " JOIN devices d ON d.id = k.device_id AND d.revoked_at IS NULL"
            " WHERE k.user_id = ANY($1::text[]) ORDER BY k.user_id, k.device_id",
            user_ids,
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def claim(self, wanted: list[tuple[str, str, str]]) -> list[ClaimedKey]:
        out: list[ClaimedKey] = []
        async with self._db.transaction() as conn:
            for user_id, device_id, algorithm in wanted:
                row = await conn.fetchrow(
                    "DELETE FROM e2ee_one_time_keys WHERE (device_id, key_id) = ("
                    " SELECT device_id, key_id FROM e2ee_one_time_keys"
                    " WHERE device_id = $1 AND algorithm = $2 ORDER BY key_id LIMIT 1"
                    " FOR UPDATE SKIP LOCKED) RETURNING key_id, body",
                    device_id,
                    algorithm,
                )
                if row is None:
                    row = await conn.fetchrow(
                        "UPDATE e2ee_fallback_keys SET used = TRUE"
                        " WHERE device_id = $1 AND algorithm = $2 RETURNING key_id, body",
                        device_id,
                        algorithm,
                    )
                    if row is None:
                        continue
                out.append(ClaimedKey(user_id, device_id, row[0], row[1]))
        return out

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
        targets = sorted({d for d, _ in messages})
        async with self._db.transaction() as conn:
            claimed = await conn.fetchval(
                "INSERT INTO e2ee_to_device_txns (device_id, txn_id, created_at)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
                sender_device,
                txn_id,
                at,
            )
            if claimed is None:
                return None
            await conn.execute(
                "DELETE FROM e2ee_to_device_txns WHERE device_id = $1 AND created_at < $2",
                sender_device,
                at - txn_keep_ms,
            )
            # Lock every target's head (creating it if new) in device order.
            await conn.execute(
                "INSERT INTO e2ee_to_device_heads (device_id, seq)"
                " SELECT d, 0 FROM unnest($1::text[]) AS d ORDER BY d ON CONFLICT DO NOTHING",
                targets,
            )
            heads = await conn.fetch(
                "SELECT device_id, seq FROM e2ee_to_device_heads WHERE device_id = ANY($1::text[])"
                " ORDER BY device_id FOR UPDATE",
                targets,
            )
            seq = {r[0]: int(r[1]) for r in heads}
            pending = await conn.fetch(
                "SELECT device_id, count(*) FROM e2ee_to_device WHERE device_id = ANY($1::text[])"
                " GROUP BY device_id",
                targets,
            )
            count = {r[0]: int(r[1]) for r in pending}
            for device_id, _ in messages:
                count[device_id] = count.get(device_id, 0) + 1
                if count[device_id] > max_pending:
                    raise QueueFull(device_id)  # rolls the transaction back
            out: list[tuple[str, int]] = []
            for device_id, _ in messages:
                seq[device_id] += 1
                out.append((device_id, seq[device_id]))
            await conn.execute(
                "INSERT INTO e2ee_to_device (device_id, seq, sender_id, sender_device, type,"
                " content, created_at) SELECT d, s, $3, $4, $5, c, $6"
                " FROM unnest($1::text[], $2::bigint[], $7::text[]) AS t (d, s, c)",
                [d for d, _ in out],
                [s for _, s in out],
                sender_id,
                sender_device,
                event_type,
                at,
                [c for _, c in messages],
            )
            await conn.execute(
                "UPDATE e2ee_to_device_heads h SET seq = t.s"
                " FROM unnest($1::text[], $2::bigint[]) AS t (d, s) WHERE h.device_id = t.d",
                list(seq),
                list(seq.values()),
            )
            return out

    async def to_device_after(self, device_id: str, after: int, limit: int) -> list[ToDeviceEvent]:
        rows = await self._db.fetch(
            "SELECT seq, sender_id, sender_device, type, content FROM e2ee_to_device"
            " WHERE device_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            device_id,
            after,
            limit,
        )
        return [ToDeviceEvent(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    async def ack_to_device(self, device_id: str, upto: int) -> None:
        await self._db.execute(
            "DELETE FROM e2ee_to_device WHERE device_id = $1 AND seq <= $2", device_id, upto
        )

    async def get_backup(self, user_id: str) -> Backup | None:
        row = await self._db.fetchrow(
            "SELECT version, algorithm, auth_data,"
            " (SELECT count(*) FROM e2ee_backup_keys k WHERE k.user_id = b.user_id)"
            " FROM e2ee_backup b WHERE user_id = $1",
            user_id,
        )
        return Backup(int(row[0]), row[1], row[2], int(row[3])) if row else None

    async def new_backup(self, user_id: str, algorithm: str, auth_data: str) -> int:
        async with self._db.transaction() as conn:
            await _lock_user(conn, "e2ee-backup", user_id)
            await conn.execute("DELETE FROM e2ee_backup_keys WHERE user_id = $1", user_id)
            version = await conn.fetchval(
                "INSERT INTO e2ee_backup (user_id, version, algorithm, auth_data)"
                " VALUES ($1, 1, $2, $3) ON CONFLICT (user_id) DO UPDATE"
                " SET version = e2ee_backup.version + 1, algorithm = excluded.algorithm,"
                " auth_data = excluded.auth_data RETURNING version",
                user_id,
                algorithm,
                auth_data,
            )
            return int(version)

    async def put_backup_keys(
        self, user_id: str, version: int, keys: list[BackupKey], max_sessions: int
    ) -> int | None:
        try:
            return await self._put_backup_keys(user_id, version, keys, max_sessions)
        except _Full:
            return None

    async def _put_backup_keys(
        self, user_id: str, version: int, keys: list[BackupKey], max_sessions: int
    ) -> int | None:
        async with self._db.transaction() as conn:
            await _lock_user(conn, "e2ee-backup", user_id)
            current = await conn.fetchval(
                "SELECT version FROM e2ee_backup WHERE user_id = $1", user_id
            )
            if current != version:
                return None
            await conn.execute(
                "INSERT INTO e2ee_backup_keys (user_id, room_id, session_id, body)"
                " SELECT $1, r, s, b FROM unnest($2::text[], $3::text[], $4::text[]) AS t (r, s, b)"
                " ON CONFLICT (user_id, room_id, session_id) DO UPDATE SET body = excluded.body",
                user_id,
                [k.room_id for k in keys],
                [k.session_id for k in keys],
                [k.body for k in keys],
            )
            count = int(
                await conn.fetchval(
                    "SELECT count(*) FROM e2ee_backup_keys WHERE user_id = $1", user_id
                )
            )
            if count > max_sessions:
                raise _Full()
            return count

    async def backup_keys(self, user_id: str, version: int) -> list[BackupKey]:
        rows = await self._db.fetch(
            "SELECT k.room_id, k.session_id, k.body FROM e2ee_backup_keys k"
            " JOIN e2ee_backup b ON b.user_id = k.user_id AND b.version = $2"
            " WHERE k.user_id = $1 ORDER BY k.room_id, k.session_id",
            user_id,
            version,
        )
        return [BackupKey(r[0], r[1], r[2]) for r in rows]


class _Full(Exception):
    """The backup would pass its limit: raised to roll the transaction back."""
