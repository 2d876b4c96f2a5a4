"""Reads that a streaming replica can serve, without ever missing an acknowledged write.

History, sync (inbox) reads, and search when it exists, run through `ReadRouter.run()`.
With a replica configured, a read goes to the replica once it has replayed the primary's
WAL up to where the primary was when the read began; otherwise (the replica lags more
than `max_wait`, is down, or is not a standby) it goes to the primary, and so does a read
that fails on the replica.

Guarantee (read after acknowledged write): a read that begins after a send was
acknowledged, by any process of the cluster, sees that send. A send is acknowledged only
after its COMMIT is flushed, so the primary's WAL position read after the read began
(`pg_current_wal_lsn()`) is past that commit, and a replica whose replay position
(`pg_last_wal_replay_lsn()`) has reached it shows the send to every new snapshot.

The replica URL must name one server (not a balancer over several): its position, once
seen, is trusted for the reads that follow.

Cost: one tiny query on the primary and, when the replica's last known position is not
enough, one on the replica, shared by every read that began while the previous one was
in flight; the read itself goes wherever it was routed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chinwag.errors import ChinwagError
from chinwag.store.postgres.db import Database

log = logging.getLogger("chinwag.store.postgres")

T = TypeVar("T")

_PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
_REPLAY_LSN = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"
# After the replica failed (down, or not a standby), reads stay on the primary this long.
REPLICA_RETRY_AFTER = 5.0
POLL_EVERY = 0.002


@dataclass
class ReadStats:
    replica: int = 0  # reads served by the replica
    primary: int = 0  # reads served by the primary: no replica, or it lagged or failed
    lagged: int = 0  # of those, because the replica was still behind after max_wait
    waited: int = 0  # reads that waited for the replica to catch up, then went there


class _Fresh:
    """A value fetched by a query that started after the caller asked: callers that ask
    while one is in flight share the next one."""

    def __init__(self, fetch: Callable[[], Awaitable[int | None]]) -> None:
        self._fetch = fetch
        self._waiters: list[asyncio.Future[int | None]] = []
        self._task: asyncio.Task[None] | None = None

    async def get(self) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        if self._task is None:
            self._task = asyncio.create_task(self._rounds())
        return await future

    async def _rounds(self) -> None:
        try:
            while self._waiters:
                waiters, self._waiters = self._waiters, []
                try:
                    value = await self._fetch()
                except Exception as exc:
                    for w in waiters:
                        if not w.done():
                            w.set_exception(exc)
                    continue
                for w in waiters:
                    if not w.done():
                        w.set_result(value)
        finally:
            self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for w in self._waiters:
            w.cancel()


class ReadRouter:
    def __init__(
        self, primary: Database, replica: Database | None = None, *, max_wait: float = 0.1
    ) -> None:
        self._primary = primary
        self._replica = replica
        self._max_wait = max_wait
        self._primary_lsn = _Fresh(lambda: primary.fetchval(_PRIMARY_LSN))
        self._replayed = _Fresh(self._replay_lsn)
        self._known_replayed = -1  # the replica's replay position, as last seen
        self._replica_down_until = 0.0
        self.retry_after = REPLICA_RETRY_AFTER
        self.stats = ReadStats()

    async def start(self) -> None:
        if self._replica is not None:
            await self._open_replica()

    async def _open_replica(self) -> bool:
        """Open the replica's pool if it is not open; reads go to the primary meanwhile."""
        assert self._replica is not None
        if self._replica.is_open:
            return True
        try:
            await self._replica.start()
        except ChinwagError as exc:
            log.warning("the read replica is unavailable: %s", exc)
            self._failed()
            return False
        return True

    def _failed(self) -> None:
        """Read the primary for a while. Forget the replica's position too: a replica
        that restarts replays from its last restart point, behind what it had shown."""
        self._replica_down_until = time.monotonic() + self.retry_after
        self._known_replayed = -1

    async def close(self) -> None:
        await self._primary_lsn.close()
        await self._replayed.close()
        if self._replica is not None:
            await self._replica.close()

    async def run(self, read: Callable[[Any], Awaitable[T]]) -> T:
        """Run `read` (given a connection) where it must see every write acknowledged
        before now: on the replica when it has caught up, else on the primary. A read
        that fails on the replica (gone, restarting) runs again on the primary: reads
        change nothing, so running one twice is safe."""
        db = await self._choose()
        if db is not self._primary:
            try:
                async with db.connection() as conn:
                    result = await read(conn)
            except ChinwagError as exc:
                log.warning("a read failed on the replica, reading the primary: %s", exc)
                self._failed()
            else:
                self.stats.replica += 1
                return result
        self.stats.primary += 1
        async with self._primary.connection() as conn:
            return await read(conn)

    async def _choose(self) -> Database:
        replica = self._replica
        if replica is None or time.monotonic() < self._replica_down_until:
            return self._primary
        if not await self._open_replica():
            return self._primary
        target = await self._primary_lsn.get()
        assert target is not None
        if self._known_replayed >= target:
            return replica
        deadline = time.monotonic() + self._max_wait
        polls = 0
        while True:
            polls += 1
            try:
                replayed = await self._replayed.get()
            except ChinwagError as exc:
                log.warning("the read replica is unavailable: %s", exc)
                self._failed()
                return self._primary
            if replayed is None:
                log.error("the read replica is not a standby (promoted?); reading the primary")
                self._failed()
                return self._primary
            self._known_replayed = max(self._known_replayed, replayed)
            if replayed >= target:
                if polls > 1:
                    self.stats.waited += 1
                return replica
            if time.monotonic() >= deadline:
                self.stats.lagged += 1
                return self._primary
            await asyncio.sleep(POLL_EVERY)

    async def _replay_lsn(self) -> int | None:
        assert self._replica is not None
        value: int | None = await self._replica.fetchval(_REPLAY_LSN)
        return value
