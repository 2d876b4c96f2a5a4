"""The PostgreSQL engine as one object: a pool shared by each aggregate's store."""

from __future__ import annotations

from chinwag.clock import Clock, SystemClock, now_ms
from chinwag.errors import ChinwagError
from chinwag.store.base import Gauge
from chinwag.store.postgres.accounts import PostgresAccounts
from chinwag.store.postgres.attachments import PostgresAttachments
from chinwag.store.postgres.buckets import BucketKeeper
from chinwag.store.postgres.channels import PostgresChannels
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.friends import PostgresFriends
from chinwag.store.postgres.keys import PostgresKeys
from chinwag.store.postgres.messages import PostgresMessages
from chinwag.store.postgres.migrate import migrate_url
from chinwag.store.postgres.push import PostgresPush
from chinwag.store.postgres.replica import ReadRouter
from chinwag.store.postgres.safety import PostgresSafety
from chinwag.store.postgres.secrets import PostgresSecrets

# Monthly buckets are checked a minute after start (so that a start is quick, and short
# runs such as tests build no tables), then hourly.
BUCKETS_FIRST_CHECK = 60.0
BUCKETS_EVERY = 3600.0


class PostgresStore:
    """Satisfies `chinwag.store.base.Store`. `start()` opens the pool and applies pending
    migrations (safe when many processes start at once) and keeps the monthly time
    buckets of messages ahead of time (buckets.py). With `replica_url`, history and sync
    reads go to that streaming replica whenever it has caught up (replica.py). Outages
    surface as `unavailable()` from every method."""

    def __init__(
        self,
        url: str,
        *,
        min_connections: int = 2,
        max_connections: int = 20,
        command_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        clock: Clock | None = None,
        buckets_first_check: float = BUCKETS_FIRST_CHECK,
        replica_url: str = "",
        replica_max_wait: float = 0.1,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._clock = clock or SystemClock()
        self._buckets_first_check = buckets_first_check
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
        self.attachments = PostgresAttachments(self.db)
        replica = None
        if replica_url:
            replica = Database(
                replica_url,
                min_size=min_connections,
                max_size=max_connections,
                command_timeout=command_timeout,
                connect_timeout=connect_timeout,
            )
        self.reads = ReadRouter(self.db, replica, max_wait=replica_max_wait)
        self.messages = PostgresMessages(self.db, self.reads)
        self.push = PostgresPush(self.db)
        self.keys = PostgresKeys(self.db)
        self.safety = PostgresSafety(self.db)
        self.secrets = PostgresSecrets(self.db)
        self.buckets = BucketKeeper(self.db)

    async def start(self) -> None:
        # Migrate on a connection of its own, before the pool exists: it has no command
        # timeout, so waiting for another process's migration (or running a long one)
        # does not fail the start, and no pooled connection caches pre-migration plans.
        await migrate_url(self.db.url, connect_timeout=self._connect_timeout)
        await self.db.start()
        await self.reads.start()
        self.buckets.start(
            lambda: now_ms(self._clock), first=self._buckets_first_check, every=BUCKETS_EVERY
        )

    async def close(self) -> None:
        await self.buckets.close()
        await self.messages.close()
        await self.reads.close()
        await self.db.close()

    def gauges(self) -> list[Gauge]:
        """Counters for /metrics: batches of sends, and where reads went."""
        appender, reads = self.messages.appender, self.reads.stats
        return [
            ("chinwag_store_batches_total", "Batches of sends written.", lambda: appender.batches),
            ("chinwag_store_batched_sends_total", "Sends in them.", lambda: appender.sends),
            (
                "chinwag_store_batch_retries_total",
                "Batches written again after a lost lock race.",
                lambda: appender.retries,
            ),
            (
                "chinwag_store_reads_replica_total",
                "Reads served by the replica.",
                lambda: reads.replica,
            ),
            (
                "chinwag_store_reads_primary_total",
                "Reads served by the primary.",
                lambda: reads.primary,
            ),
            (
                "chinwag_store_reads_lagged_total",
                "Reads sent to the primary because the replica lagged.",
                lambda: reads.lagged,
            ),
        ]

    async def ping(self) -> bool:
        try:
            await self.db.fetchval("SELECT 1")
        except ChinwagError:
            return False
        return True
