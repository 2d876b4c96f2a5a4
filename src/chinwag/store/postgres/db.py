"""The connection pool, and what its failures mean to callers.

Guarantees:
* Losing the database (refused or dropped connections, server shutting down or starting
  up, pool closed, timeouts, too many connections, a read-only standby after failover)
  surfaces as `chinwag.errors.unavailable()`, which the API answers with 503 and clients
  retry. Nothing about the outage reaches clients as a 500.
* Every other database error (constraint violations, bugs) passes through unchanged for
  the caller to interpret.
* Transactions opened with `transaction()` commit on normal exit and roll back on any
  exception, including cancellation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg

from chinwag.errors import unavailable

log = logging.getLogger("chinwag.store.postgres")

# Failures of the database or the path to it, as opposed to failures of a statement.
_OUTAGE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError is an OSError too
    asyncpg.InterfaceError,  # pool or connection closed under us
    # Protocol confusion; seen when the server ends a connection between two queries.
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,  # class 08, e.g. ConnectionDoesNotExistError
    asyncpg.exceptions.OperatorInterventionError,  # 57: shutdown, CannotConnectNow, cancel
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, disk full
    asyncpg.exceptions.PostgresSystemError,  # 58: I/O errors on the server
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # writing to a standby after failover
)


@contextmanager
def outage_is_unavailable() -> Iterator[None]:
    """Turn an outage into `unavailable()`; let every other error through."""
    try:
        yield
    except _OUTAGE as exc:
        log.warning("postgres unavailable: %s: %s", type(exc).__name__, exc)
        raise unavailable() from exc


async def _keep_session(conn: Any) -> None:
    """Pool reset hook. asyncpg rolls back any open transaction before calling it; chinwag
    never changes session state (no SET, LISTEN, cursors or session locks), so the
    default reset query, one more round trip per pooled operation, is skipped."""


class Database:
    """An asyncpg pool with outage mapping. Create with the DSN, then `start()`."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 20,
        command_timeout: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._command_timeout = command_timeout
        self._connect_timeout = connect_timeout
        self._pool: Any = None

    async def start(self) -> None:
        with outage_is_unavailable():
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self._min_size,
                max_size=self._max_size,
                command_timeout=self._command_timeout,
                timeout=self._connect_timeout,
                reset=_keep_session,
                server_settings={"application_name": "chinwag"},
            )

    async def close(self, timeout: float = 10.0) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            # Waits for borrowed connections to come back; a stuck one is cut off.
            await asyncio.wait_for(pool.close(), timeout)
        except _OUTAGE:  # TimeoutError included
            pool.terminate()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    def _live_pool(self) -> Any:
        if self._pool is None:
            raise unavailable("storage is closed")
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection for a few statements outside a transaction."""
        pool = self._live_pool()
        with outage_is_unavailable():
            async with pool.acquire() as conn:
                try:
                    yield conn
                except _OUTAGE:
                    # It may be half dead (asyncpg can see the server's goodbye before the
                    # socket closes); never hand it to the next caller.
                    conn.terminate()
                    raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A pooled connection inside a READ COMMITTED transaction."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self.connection() as conn:
            rows: list[Any] = await conn.fetch(sql, *args)
            return rows

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        async with self.connection() as conn:
            status: str = await conn.execute(sql, *args)
            return status
