"""A line per second on stderr while a run goes, kept as a timeline for the JSON result."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import psutil  # type: ignore[import-untyped]

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
    db_mib: float = 0.0  # SQLite database files (store and search index), with --data-dir
    wal_mib: float = 0.0  # their write-ahead logs
    machine_pct: float = 0.0  # the whole machine's CPU this second, % of one core


class Reporter:
    """Samples the shards' latest Progress (and the server) once a second."""

    def __init__(
        self,
        totals: Callable[[], list[Progress]],
        peak: Callable[[], int],
        monitor: ServerMonitor | None,
        show: bool,
        data_dir: str = "",
    ) -> None:
        self._totals = totals
        self._peak = peak
        self._monitor = monitor
        self._show = show
        data = Path(data_dir)
        self._files = (
            (data / "chinwag.db", data / "chinwag-search.db"),
            (data / "chinwag.db-wal", data / "chinwag-search.db-wal"),
        )
        self._sizes = bool(data_dir)
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
        psutil.cpu_percent(None)  # starts its interval
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
            db, wal = (sum(map(_mib, f)) for f in self._files) if self._sizes else (0.0, 0.0)
            machine = float(psutil.cpu_percent(None)) * (psutil.cpu_count() or 1)
            point = Point(
                now - began,
                sent,
                acked,
                delivered,
                connected,
                synced,
                rate,
                peak,
                cpu,
                rss,
                db,
                wal,
                machine,
            )
            self.timeline.append(point)
            if self._show:
                server = f"  server {cpu:.0f}% {rss:.0f} MiB" if self._monitor else ""
                if self._sizes:
                    server += f"  db {db:,.0f} MiB wal {wal:,.0f} MiB"
                print(
                    f"[{point.t:5.1f}s] sent {sent} acked {acked} delivered {delivered}"
                    f" ({rate:,.0f}/s) peak {peak:.0f} ms welcomed {connected} synced {synced}"
                    + server,
                    file=sys.stderr,
                    flush=True,
                )


def _mib(path: Path) -> float:
    try:
        return path.stat().st_size / (1 << 20)
    except FileNotFoundError:
        return 0.0


def steady(timeline: list[Point], seconds: int = 10) -> dict[str, float]:
    """Delivery rates over `seconds`-long windows of the timeline: the best window, and
    the last one that ends while deliveries were still under way (the last full
    seconds of sending, not the tail where senders finish)."""
    points = [p for p in timeline if p.delivered > 0 or p.sent > 0]
    if not points:
        return {}
    final = timeline[-1].delivered
    live = [p for p in points if p.delivered < final] or points
    rates = []
    for i in range(len(live) - seconds):
        a, b = live[i], live[i + seconds]
        rates.append((b.delivered - a.delivered) / max(1e-9, b.t - a.t))
    if not rates:
        return {}
    best, last = max(rates), rates[-1]
    out = {
        f"rate_best_{seconds}s": best,
        f"rate_last_{seconds}s": last,
        "last_over_best": last / best if best else 0.0,
        "wal_mib_max": max((p.wal_mib for p in timeline), default=0.0),
    }
    # The server's CPU per message at the start and at the end: flat when the server's
    # own cost holds, whatever else the machine was doing.
    for name, part in (("first", live[1 : seconds + 1]), ("last", live[-seconds:])):
        msgs = sum(p.delivered_per_s for p in part)
        if msgs and any(p.server_cpu_pct for p in part):
            out[f"server_us_per_msg_{name}_{seconds}s"] = (
                sum(p.server_cpu_pct for p in part) * 1e4 / msgs
            )
    out["machine_pct_avg"] = sum(p.machine_pct for p in live) / len(live)
    return out
