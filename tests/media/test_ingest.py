"""The ingest worker of uploads (media/ingest.py) with real threads: every byte goes
through the sink in order, what waits stays bounded, a failure of the sink surfaces,
and a stopped ingest lets go of the sink before `stop` returns."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from chinwag.media.ingest import Ingest

LIMIT = 64 << 10


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(2)
    yield executor
    executor.shutdown(wait=True)


async def settle() -> None:
    """Let the loop run whatever is ready (callbacks from the worker included)."""
    for _ in range(20):
        await asyncio.sleep(0)


class Gate:
    """A sink that records chunks and can be held shut, from the worker's side."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.seen: list[bytes] = []
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        self.fail_at = fail_at

    def __call__(self, chunk: bytes) -> None:
        self.entered.set()
        self.open.wait()
        if self.fail_at is not None and len(self.seen) == self.fail_at:
            raise OSError("disk on fire")
        self.seen.append(chunk)


async def test_every_chunk_reaches_the_sink_in_order(pool: ThreadPoolExecutor) -> None:
    sink = Gate()
    ingest = Ingest(pool, sink, LIMIT)
    chunks = [bytes([n % 251]) * (1 + n * 997 % 40_000) for n in range(300)]
    for chunk in chunks:
        await ingest.put(chunk)
    await ingest.finish()
    assert sink.seen == chunks
    # A small file never fills half the limit: finish hands it to a worker.
    small = Gate()
    tiny = Ingest(pool, small, LIMIT)
    await tiny.put(b"x")
    assert small.seen == []
    await tiny.finish()
    assert small.seen == [b"x"]


async def test_put_waits_while_the_sink_is_behind(pool: ThreadPoolExecutor) -> None:
    sink = Gate()
    sink.open.clear()
    ingest = Ingest(pool, sink, LIMIT)
    chunk = b"c" * (LIMIT // 4)
    for _ in range(4):  # the limit, not past it: taken at once
        await ingest.put(chunk)
    await asyncio.to_thread(sink.entered.wait)  # the worker holds the first chunk
    over = asyncio.create_task(ingest.put(chunk))  # past the limit
    await settle()
    assert not over.done()
    sink.open.set()
    await over
    await ingest.finish()
    assert len(sink.seen) == 5


async def test_a_failing_sink_fails_the_upload(pool: ThreadPoolExecutor) -> None:
    sink = Gate(fail_at=2)
    ingest = Ingest(pool, sink, LIMIT)
    with pytest.raises(OSError, match="disk on fire"):
        for _ in range(100):
            await ingest.put(b"d" * (LIMIT // 2))
        await ingest.finish()
    assert len(sink.seen) == 2
    with pytest.raises(OSError):
        await ingest.put(b"more")
    assert len(sink.seen) == 2


async def test_stop_returns_once_the_worker_has_let_go(pool: ThreadPoolExecutor) -> None:
    sink = Gate()
    sink.open.clear()
    ingest = Ingest(pool, sink, LIMIT)
    for _ in range(3):
        await ingest.put(b"s" * (LIMIT // 4))
    await asyncio.to_thread(sink.entered.wait)
    stopping = asyncio.create_task(ingest.stop())
    await settle()
    assert not stopping.done()  # the worker is still inside the sink
    sink.open.set()
    await stopping
    # The chunk in hand went through; those still queued were dropped.
    assert len(sink.seen) == 1
    await ingest.stop()  # twice is fine
