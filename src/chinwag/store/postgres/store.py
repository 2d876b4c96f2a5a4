"""The PostgreSQL engine as one object: a pool shared by each aggregate's store."""

from __future__ import annotations

from chinwag.errors import ChinwagError
from chinwag.store.postgres.accounts import PostgresAccounts
from chinwag.store.postgres.channels import PostgresChannels
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.friends import PostgresFriends
from chinwag.store.postgres.messages import PostgresMessages
from chinwag.store.postgres.migrate import migrate_url
from chinwag.store.postgres.push import PostgresPush


class PostgresStore:
    """Satisfies `chinwag.store.base.Store`. `start()` opens the pool and applies pending
    migrations (safe when many processes start at once); outages surface as
    `unavailable()` from every method."""

    def __init__(
        self,
        url: str,
        *,
        min_connections: int = 2,
        max_connections: int = 20,
        command_timeout: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self._connect_timeout = connect_timeout
        self.db = Database(
            url,
            min_size=min_connections,
            max_size=max_connections,
            command_timeout=command_timeout,
            connect_timeout=connect_timeout,
        )
        self.accounts = PostgresAccounts(self.db)
        self.friends = PostgresFriends(self.db)
        self.channels = PostgresChannels(self.db)
        self.messages = PostgresMessages(self.db)
        self.push = PostgresPush(self.db)

    async def start(self) -> None:
        # Migrate on a connection of its own, before the pool exists: it has no command
        # timeout, so waiting for another process's migration (or running a long one)
        # does not fail the start, and no pooled connection caches pre-migration plans.
        await migrate_url(self.db.url, connect_timeout=self._connect_timeout)
        await self.db.start()

    async def close(self) -> None:
        await self.messages.close()
        await self.db.close()

    async def ping(self) -> bool:
        try:
            await self.db.fetchval("SELECT 1")
        except ChinwagError:
            return False
        return True
