"""The shards of a run and the coordinator's side of their links.

With one process the shard runs as a task in the coordinator's own event loop (that is
what tests use: the server under test may live in that same loop). With more, each shard
is a spawned process running its own uvloop loop, so no shard inherits the coordinator's
sockets or threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import msgspec

from chinwag.bench.links import Link, Message, Progress, QueueLink, StreamLink
from chinwag.bench.shard import run_shard
from chinwag.bench.specs import ShardPlan

M = TypeVar("M", bound=Message)


def worker_main(conn: Connection, plan_bytes: bytes) -> None:
    """Entry point of a spawned shard process."""
    import uvloop

    plan = msgspec.msgpack.decode(plan_bytes, type=ShardPlan)

    async def main() -> None:
        link = await StreamLink.open(conn)
        try:
            await run_shard(plan, link)
        finally:
            await link.aclose()

    uvloop.run(main())


class ShardFailed(RuntimeError):
    """A shard stopped answering or died."""


class Fleet:
    """Starts the shards, then sends to all and gathers one answer from each."""

    def __init__(self, plans: list[ShardPlan], *, in_process: bool) -> None:
        self._plans = plans
        self._in_process = in_process
        self.links: list[Link] = []
        self.progress: list[Progress] = [Progress(0, 0, 0, 0, 0) for _ in plans]
        self.peak_us = 0  # highest latency reported since `take_peak`
        self._tasks: list[asyncio.Task[None]] = []
        self._procs: list[BaseProcess] = []

    async def start(self) -> None:
        if self._in_process:
            for plan in self._plans:
                ours, theirs = QueueLink.pair()
                self.links.append(ours)
                self._tasks.append(asyncio.create_task(run_shard(plan, theirs)))
            return
        ctx = multiprocessing.get_context("spawn")
        for plan in self._plans:
            ours_conn, theirs_conn = ctx.Pipe(duplex=True)
            proc = ctx.Process(
                target=worker_main,
                args=(theirs_conn, msgspec.msgpack.encode(plan)),
                name=f"chinwag-bench-{plan.index}",
                daemon=True,
            )
            proc.start()
            theirs_conn.close()
            self._procs.append(proc)
            self.links.append(await StreamLink.open(ours_conn))

    def broadcast(self, message: Message) -> None:
        for link in self.links:
            link.send(message)

    async def gather(self, kind: type[M], timeout: float | None = None) -> list[M]:
        """The next `kind` message from every shard, in shard order; Progress messages
        that arrive meanwhile update `progress`. Shards end stuck phases themselves (see
        `shard._progressing`) and a dead shard ends its link, so no timeout is needed."""
        everyone = asyncio.gather(*(self._next(i, kind) for i in range(len(self.links))))
        return list(await asyncio.wait_for(everyone, timeout))

    async def _next(self, index: int, kind: type[M]) -> M:
        link = self.links[index]
        while True:
            recv: asyncio.Future[Message] = asyncio.ensure_future(link.recv())
            waits: set[asyncio.Future[Any]] = {recv}
            if self._tasks:
                waits.add(self._tasks[index])
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if recv not in done:
                recv.cancel()
                task = self._tasks[index]
                raise ShardFailed(f"shard {index} ended early") from task.exception()
            message = recv.result()
            if isinstance(message, Progress):
                self.progress[index] = message
                self.peak_us = max(self.peak_us, message.peak_us)
            elif isinstance(message, kind):
                return message
            else:
                raise ShardFailed(f"shard {index} sent {type(message).__name__}, not {kind}")

    def take_peak(self) -> int:
        peak, self.peak_us = self.peak_us, 0
        return peak

    async def close(self) -> None:
        for task in self._tasks:
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for link in self.links:
            await link.aclose()
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
