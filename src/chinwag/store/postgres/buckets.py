"""Monthly time buckets of messages and inbox entries (migrations/*_time_buckets.sql):
created ahead of time and made active when their month begins, by whichever chinwag
process gets there first.

Guarantees:
* Next month's bucket exists before its month begins (as long as some process runs
  `ensure` in the month before: each does hourly), so making it active never waits for
  tables to be built. If no process ran for a while, sends keep going to the newest
  active bucket: a late bucket is never a failed send.
* Creating a bucket never blocks sends or reads (its tables are built apart and
  attached). Making one active waits for the sends in flight to commit and holds new ones
  back for that moment only; it gives up after `lock_timeout` and tries again next time.
* Any number of processes may run `ensure` at once: one does the work, the others skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from chinwag.errors import ChinwagError
from chinwag.store.postgres.db import Database

log = logging.getLogger("chinwag.store.postgres")

# "chinwag\x02": one maintaining process at a time. "chinwag\x01" is the lock every send
# holds shared (see chinwag_append_batch).
MAINTENANCE_LOCK = int.from_bytes(b"chinwag\x02", "big")
BUCKET_LOCK = int.from_bytes(b"chinwag\x01", "big")


def month_bucket(ms: int) -> tuple[int, int]:
    """(bucket, starts_at ms) of the calendar month (UTC) holding `ms`."""
    at = datetime.fromtimestamp(ms / 1000, UTC)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    return at.year * 100 + at.month, int(start.timestamp() * 1000)


def next_month(ms: int) -> tuple[int, int]:
    at = datetime.fromtimestamp(ms / 1000, UTC)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    start = datetime(year, month, 1, tzinfo=UTC)
    return year * 100 + month, int(start.timestamp() * 1000)


class BucketKeeper:
    def __init__(self, db: Database, *, lock_timeout: float = 2.0) -> None:
        self._db = db
        self._lock_timeout = lock_timeout
        self._task: asyncio.Task[None] | None = None

    async def ensure(self, now_ms: int) -> bool:
        """Create this month's and next month's buckets if missing, and make this month's
        active. False when another process was doing it (or the activation timed out)."""
        this, this_start = month_bucket(now_ms)
        following, following_start = next_month(now_ms)
        async with self._db.transaction() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", MAINTENANCE_LOCK):
                return False
            await conn.execute(f"SET LOCAL lock_timeout = '{int(self._lock_timeout * 1000)}ms'")
            await conn.execute("SELECT chinwag_create_bucket($1, $2)", this, this_start)
            await conn.execute("SELECT chinwag_create_bucket($1, $2)", following, following_start)
        return await self.activate(this, now_ms)

    async def activate(self, bucket: int, now_ms: int) -> bool:
        """Send new messages to `bucket` (an existing one, newer than the active one)."""
        if await self.active() >= bucket:
            return True  # the common case: no lock, no pause for anyone
        try:
            async with self._db.transaction() as conn:
                await conn.execute(f"SET LOCAL lock_timeout = '{int(self._lock_timeout * 1000)}ms'")
                await conn.execute("SELECT pg_advisory_xact_lock($1)", BUCKET_LOCK)
                active = await conn.fetchval(
                    "SELECT max(bucket) FROM chinwag_buckets WHERE active_since IS NOT NULL"
                )
                if active >= bucket:
                    return True  # another process did it meanwhile
                status = await conn.execute(
                    "UPDATE chinwag_buckets SET active_since = $2 WHERE bucket = $1",
                    bucket,
                    now_ms,
                )
                if status != "UPDATE 1":
                    raise LookupError(f"bucket {bucket} does not exist")
        except asyncpg.LockNotAvailableError:
            log.warning("bucket %s not activated: sends held the lock too long; retrying", bucket)
            return False
        log.info("messages now go to bucket %s", bucket)
        return True

    async def active(self) -> int:
        value: int = await self._db.fetchval(
            "SELECT max(bucket) FROM chinwag_buckets WHERE active_since IS NOT NULL"
        )
        return value

    def start(self, now_ms: Callable[[], int], *, first: float, every: float) -> None:
        """Run `ensure` in the background: after `first` seconds, then every `every`
        (within a minute after a failure)."""
        self._task = asyncio.create_task(self._run(now_ms, first, every))

    async def _run(self, now_ms: Callable[[], int], first: float, every: float) -> None:
        delay = first
        while True:
            await asyncio.sleep(delay)
            try:
                done = await self.ensure(now_ms())
            except (ChinwagError, asyncpg.PostgresError) as exc:
                log.warning("bucket maintenance failed: %s", exc)
                done = False
            delay = every if done else min(every, 60.0)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
