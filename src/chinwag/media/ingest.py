"""An upload's bytes, hashed and written off the event loop.

The event loop only hands each received chunk over, as it is (no copy); a worker thread
takes the chunks in order and passes each to the sink (hash, blob writer, image spool),
whose work releases the GIL. A worker starts once half of `limit` waits and runs only
while chunks wait, so a slow client holds no thread, and while bytes keep coming it
keeps draining: no thread hop per chunk.
It hands its thread over after `limit` bytes, so that uploads running at once share the
pool's threads in turn.

At most `limit` bytes wait: past that, `put` waits until the worker has caught up (to
half of it), the route stops reading the request and TCP holds the client back. Memory
per upload is bounded whatever the file's size and however slow the disk.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor

Sink = Callable[[bytes], None]


class Ingest:
    def __init__(self, executor: Executor, sink: Sink, limit: int) -> None:
        self._executor = executor
        self._sink = sink
        self._limit = limit
        self._loop = asyncio.get_running_loop()
        # Shared with the worker, under the lock: the chunks waiting, their bytes,
        # whether a worker owns them, and what the loop waits for (room or idle).
        self._lock = threading.Lock()
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._running = False
        self._stopped = False
        self._failed: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._want_idle = False

    async def put(self, chunk: bytes) -> None:
        """Queue a chunk; wait while more than `limit` bytes are queued. Raises what the
        sink raised, if it failed."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            self._chunks.append(chunk)
            self._queued += len(chunk)
            # A worker starts once half the limit waits: a few chunks per thread hop.
            start = not self._running and self._queued >= self._limit // 2
            self._running = self._running or start
            waiter = self._wait(idle=False) if self._queued > self._limit else None
        if start:
            self._submit()
        if waiter is not None:
            await waiter
            self._check()

    async def finish(self) -> None:
        """Wait until every chunk has gone through the sink; raises what it raised."""
        with self._lock:
            start = not self._running and bool(self._chunks) and self._failed is None
            self._running = self._running or start
            waiter = self._wait(idle=True) if self._running else None
        if start:
            self._submit()
        if waiter is not None:
            await asyncio.shield(waiter)
        self._check()

    async def stop(self) -> None:
        """Drop what waits and return once no worker touches the sink any more (safe
        to call at any point, and more than once)."""
        with self._lock:
            self._stopped = True
            self._chunks.clear()
            self._queued = 0
            waiter = self._wait(idle=True) if self._running else None
        if waiter is not None:
            await asyncio.shield(waiter)

    # -- the loop's side -------------------------------------------------------

    def _wait(self, *, idle: bool) -> asyncio.Future[None]:
        # Under the lock: the worker sees the waiter as soon as it is set.
        self._waiter = self._loop.create_future()
        self._want_idle = idle
        return self._waiter

    def _check(self) -> None:
        if self._failed is not None:
            raise self._failed

    def _submit(self) -> None:
        try:
            self._executor.submit(self._drain)
        except RuntimeError as exc:  # the pool is shut down: the server is stopping
            with self._lock:
                self._give_up(exc)

    # -- the worker's side -----------------------------------------------------

    def _drain(self) -> None:
        done = 0
        while True:
            with self._lock:
                if not self._chunks or self._stopped:
                    self._running = False
                    self._wake()
                    return
                if done >= self._limit:
                    break  # more waits: queue up again behind other uploads
                chunk = self._chunks.popleft()
            try:
                self._sink(chunk)
            except BaseException as exc:
                with self._lock:
                    self._give_up(exc)
                return
            done += len(chunk)
            with self._lock:
                self._queued -= len(chunk)
                # Half the limit: the loop then queues a few chunks per wake-up.
                if not self._want_idle and self._queued <= self._limit // 2:
                    self._wake()
        self._submit()

    def _give_up(self, exc: BaseException) -> None:
        # Under the lock.
        self._failed = exc
        self._chunks.clear()
        self._queued = 0
        self._running = False
        self._wake()

    def _wake(self) -> None:
        # Under the lock; from either thread.
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_settle, waiter)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
