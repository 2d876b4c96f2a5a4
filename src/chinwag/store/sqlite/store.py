"""The SQLite engine as one object."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from chinwag.store.sqlite.accounts import SqliteAccounts
from chinwag.store.sqlite.channels import SqliteChannels
from chinwag.store.sqlite.db import Database
from chinwag.store.sqlite.friends import SqliteFriends
from chinwag.store.sqlite.messages import SqliteMessages
from chinwag.store.sqlite.migrate import migrate
from chinwag.store.sqlite.push import SqlitePush

log = logging.getLogger("chinwag.store.sqlite")


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.accounts = SqliteAccounts(self.db)
        self.friends = SqliteFriends(self.db)
        self.channels = SqliteChannels(self.db)
        self.messages = SqliteMessages(self.db)
        self.push = SqlitePush(self.db)

    async def start(self) -> None:
        self.db.start(asyncio.get_running_loop())
        applied = migrate(self.db.writer_connection())
        if applied:
            log.info("applied migrations %s to %s", applied, self.db.path)

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> bool:
        try:
            await self.db.read(lambda conn: conn.execute("SELECT 1").fetchone())
        except Exception:
            return False
        return True


def migrate_file(path: Path) -> list[str]:
    """For `chinwag migrate`: apply pending migrations and return their names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        return migrate(conn)
    finally:
        conn.close()
