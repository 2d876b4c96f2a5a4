"""Secrets the server makes for itself, kept in PostgreSQL and shared by every process.
Satisfies `chinwag.push.keys.SecretStore`.

Race-safe without locks: each process offers its own candidate with INSERT ... ON
CONFLICT DO NOTHING (a concurrent insert of the same name waits for the first to commit
and then does nothing), then reads what is stored, which is the first one committed.
"""

from __future__ import annotations

from collections.abc import Callable

from chinwag.store.postgres.db import Database


class PostgresSecrets:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        value = await self._db.fetchval("SELECT value FROM server_secrets WHERE name = $1", name)
        if value is None:
            await self._db.execute(
                "INSERT INTO server_secrets (name, value, created_at) VALUES"
                " ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)"
                " ON CONFLICT (name) DO NOTHING",
                name,
                make(),
            )
            value = await self._db.fetchval(
                "SELECT value FROM server_secrets WHERE name = $1", name
            )
        return bytes(value)
