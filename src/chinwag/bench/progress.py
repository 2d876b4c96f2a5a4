"""A line per second on stderr while a run goes, kept as a timeline for the JSON result."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable

import msgspec

from chinwag.bench.links import Progress
from chinwag.bench.monitor import ServerMonitor


class Point(msgspec.Struct):
    """One second of a run, totals across shards."""

    t: float
    sent: int
    acked: int
    delivered: int
    connected: int
    synced: int
    delivered_per_s: float
    peak_latency_ms: float = 0.0  # highest latency seen during this second
    server_cpu_pct: float = 0.0
    server_rss_mib: float = 0.0


class Reporter:
    """Samples the shards' latest Progress (and the server) once a second."""

    def __init__(
        self,
        totals: Callable[[], list[Progress]],
        peak: Callable[[], int],
        monitor: ServerMonitor | None,
        show: bool,
    ) -> None:
        self._totals = totals
        self._peak = peak
        self._monitor = monitor
        self._show = show
        self.timeline: list[Point] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        began = time.monotonic()
        last_t, last_delivered = began, 0
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            parts = self._totals()
            sent = sum(p.sent for p in parts)
            acked = sum(p.acked for p in parts)
            delivered = sum(p.delivered for p in parts)
            connected = sum(p.connected for p in parts)
            synced = sum(p.synced for p in parts)
            rate = (delivered - last_delivered) / (now - last_t)
            last_t, last_delivered = now, delivered
            cpu, rss = self._monitor.sample() if self._monitor else (0.0, 0.0)
            peak = self._peak() / 1000
            point = Point(
                now - began, sent, acked, delivered, connected, synced, rate, peak, cpu, rss
            )
            self.timeline.append(point)
            if self._show:
                server = f"  server {cpu:.0f}% {rss:.0f} MiB" if self._monitor else ""
                print(
                    f"[{point.t:5.1f}s] sent {sent} acked {acked} delivered {delivered}"
                    f" ({rate:,.0f}/s) peak {peak:.0f} ms welcomed {connected} synced {synced}"
                    + server,
                    file=sys.stderr,
                    flush=True,
                )
