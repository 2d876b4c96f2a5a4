"""Versioned schema migrations for PostgreSQL: numbered .sql files applied in order, once.

Guarantees:
* Each file runs at most once per database; applied versions are recorded in
  `schema_migrations`.
* Any number of processes may migrate at the same time: the whole run holds a
  transaction-level advisory lock, so one applies the pending files and the others then
  find nothing to do. The lock is released by COMMIT or ROLLBACK, never leaked.
* All pending files apply atomically: if one fails, none of this run's files stay applied.
  (So a migration must not use statements that refuse to run inside a transaction, such
  as CREATE INDEX CONCURRENTLY.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from chinwag.store.postgres.db import outage_is_unavailable

log = logging.getLogger("chinwag.store.postgres")

# Arbitrary but fixed: every chinwag process must agree on it ("chinwag\0" as an integer).
MIGRATION_LOCK = 0x6368696E77616700


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migration_files() -> list[Migration]:
    folder = resources.files("chinwag.store.postgres") / "migrations"
    found = [
        Migration(int(entry.name.split("_", 1)[0]), entry.name, entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: Any) -> list[str]:
    """Apply pending migrations on an open connection; returns the names applied."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in migration_files():
            if migration.version in done:
                continue
            # Without arguments asyncpg uses the simple query protocol, which runs a file
            # of several statements (and $$-quoted function bodies) as it is.
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
                migration.version,
                migration.name,
            )
            applied.append(migration.name)
    if applied:
        log.info("applied migrations %s", applied)
    return applied


async def migrate_url(url: str, *, connect_timeout: float = 60.0) -> list[str]:
    """For `chinwag migrate` and store start-up: apply pending migrations to the database
    at `url` on a connection of its own, without a statement timeout."""
    with outage_is_unavailable():
        conn = await asyncpg.connect(url, timeout=connect_timeout)
        try:
            return await migrate(conn)
        finally:
            await conn.close()


async def migrate_and_prepare(url: str) -> list[str]:
    """For `chinwag migrate`: apply pending migrations, then create this month's and next
    month's time buckets (which serving processes otherwise do a minute after start)."""
    import time

    from chinwag.store.postgres.buckets import BucketKeeper
    from chinwag.store.postgres.db import Database

    applied = await migrate_url(url)
    db = Database(url, min_size=1, max_size=1, command_timeout=600.0)
    await db.start()
    try:
        await BucketKeeper(db).ensure(int(time.time() * 1000))
    finally:
        await db.close()
    return applied
