"""One run from start to finish: setup, shards, go, expectations, result.

`run_workload` is the async entry point (tests call it in their own loop with the test
server); the CLI wraps it in uvloop. Measuring starts at the go, after every socket is
open, so setup and connection storms never dilute a throughput number.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import msgspec

from chinwag.bench.config import BenchConfig
from chinwag.bench.fleet import Fleet
from chinwag.bench.links import Expect, Go, Ready, SendDone, ShardResult
from chinwag.bench.monitor import (
    GroupCpu,
    MachineMonitor,
    ServerMonitor,
    machine_cpu_count,
    parse_cpu_groups,
)
from chinwag.bench.plans import Prepared, partition, prepare
from chinwag.bench.progress import Reporter, steady
from chinwag.bench.report import (
    ClientStats,
    Result,
    bottleneck,
    git_commit,
    latencies_of,
    latency_stats,
    merge_checks,
)
from chinwag.bench.setup import Setup

START_DELAY_NS = 200_000_000  # the go names a start slightly ahead so all shards begin together
IDLE_SETTLE_S = 2.0  # let the server's allocations settle before reading its RSS
MIB = 1 << 20


async def run_workload(cfg: BenchConfig) -> tuple[Result, list[ShardResult]]:
    """Run `cfg` against its server; the result and the raw shard results."""
    cfg.validate()
    cfg = msgspec.structs.replace(cfg, prefix=cfg.user_prefix)  # one prefix for all shards
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    monitor = ServerMonitor(cfg.server_pid) if cfg.server_pid else None
    machine = MachineMonitor()
    groups = parse_cpu_groups(cfg.cpu)
    extra: dict[str, float] = {}
    t0 = time.monotonic()
    async with Setup(cfg.url, cfg.setup_concurrency, cfg.password) as setup:
        prepared = await prepare(cfg, setup)
        setup_s = time.monotonic() - t0
        if monitor is not None:
            extra["server_rss_mib_before_connect"] = monitor.rss_mib()
        fleet = Fleet(partition(cfg, prepared), in_process=cfg.procs == 1)
        reporter = Reporter(
            lambda: fleet.progress, fleet.take_peak, monitor, cfg.progress, cfg.data_dir
        )
        await fleet.start()
        reporter.start()
        try:
            finals, go, connect_s = await _drive(
                cfg, prepared, fleet, setup, (monitor, machine, groups), extra
            )
        finally:
            await reporter.stop()
            await fleet.close()
    result = _result(cfg, prepared, finals, go, (monitor, machine, groups), extra)
    result.started_at, result.setup_s, result.connect_s = started_at, setup_s, connect_s
    result.timeline = reporter.timeline
    if prepared.mode == "traffic":
        result.extra.update(steady(reporter.timeline))
    return result, finals


async def _drive(
    cfg: BenchConfig,
    prepared: Prepared,
    fleet: Fleet,
    setup: Setup,
    monitors: tuple[ServerMonitor | None, MachineMonitor, list[GroupCpu]],
    extra: dict[str, float],
) -> tuple[list[ShardResult], Go, float]:
    monitor, machine, groups = monitors
    readies = await fleet.gather(Ready)
    connect_s = max(r.seconds for r in readies)
    connected = sum(r.connected for r in readies)
    expect: dict[str, int] = {}
    if prepared.mode == "idle" and monitor is not None:
        await asyncio.sleep(IDLE_SETTLE_S)
        _idle_memory(monitor, connected, extra)
    if prepared.mode == "reconnect":
        t = time.monotonic()
        expect = await setup.backlog(prepared.backlog, cfg.missed)
        extra["backlog_post_s"] = time.monotonic() - t
    start = time.monotonic_ns() + START_DELAY_NS
    stop = 0
    if cfg.send_duration > 0:
        stop = start + int(cfg.send_duration * 1e9)
    if prepared.mode == "idle":
        stop = start + int(cfg.hold * 1e9)
    go = Go(start, stop, expect)
    if monitor is not None:
        monitor.begin()
    machine.begin()
    for group in groups:
        group.begin()
    fleet.broadcast(go)
    if prepared.mode == "traffic":
        done = await fleet.gather(SendDone)
        last_ids: dict[str, int] = {}
        for d in done:
            for channel, (_, top) in d.acks.items():
                last_ids[channel] = max(last_ids.get(channel, 0), top)
        fleet.broadcast(Expect(last_ids))
    finals = await fleet.gather(ShardResult)
    return finals, go, connect_s


def _idle_memory(monitor: ServerMonitor, connected: int, extra: dict[str, float]) -> None:
    before = extra.get("server_rss_mib_before_connect", 0.0)
    after = monitor.rss_mib()
    per_conn = (after - before) * MIB / max(1, connected)
    extra["connections"] = float(connected)
    extra["server_rss_mib_after_connect"] = after
    extra["server_kib_per_connection"] = per_conn / 1024
    # What 50,000 would take at the same cost per connection (one process cannot hold
    # them here: the open-files hard limit is 20,000).
    extra["server_gib_at_50k_extrapolated"] = (before * MIB + 50_000 * per_conn) / (1 << 30)


def _result(
    cfg: BenchConfig,
    prepared: Prepared,
    finals: list[ShardResult],
    go: Go,
    monitors: tuple[ServerMonitor | None, MachineMonitor, list[GroupCpu]],
    extra: dict[str, float],
) -> Result:
    monitor, machine, groups = monitors
    end = max((f.end_ns for f in finals), default=0)
    wall = max(1e-9, (end - go.start_ns) / 1e9) if end else 0.0
    if prepared.mode == "idle":
        wall = (go.stop_ns - go.start_ns) / 1e9
    sent = sum(f.sent for f in finals)
    acked = sum(f.acked for f in finals)
    delivered = sum(f.delivered for f in finals)
    samples = latencies_of(finals)
    checks = merge_checks(finals)
    cpu_s = sum(f.cpu_s for f in finals)
    client = ClientStats(
        len(finals),
        cpu_s,
        100 * cpu_s / wall if wall else 0.0,
        sum(f.rss_bytes for f in finals) / MIB,
        [100 * f.cpu_s / wall if wall else 0.0 for f in finals],
    )
    server = monitor.end(wall) if monitor is not None else None
    # CPU cost is per message for 1:1 and per delivery for groups, where fan-out dominates.
    unit = "delivery" if cfg.workload == "group" else "message"
    work = 0 if prepared.mode != "traffic" else delivered if unit == "delivery" else acked
    for group in groups:
        used = group.end()
        extra[f"{group.name}_cpu_pct"] = 100 * used / wall if wall else 0.0
        if work:
            extra[f"{group.name}_us_per_{unit}"] = 1e6 * used / work
    machine_stats = machine.end(wall, server.cpu_s if server else None, cpu_s)
    if prepared.mode == "reconnect":
        synced = sum(f.synced for f in finals)
        extra["devices_synced"] = float(synced)
        extra["all_exact_s"] = wall if checks.ok else -1.0
    result = Result(
        workload=cfg.workload,
        description=prepared.description,
        ok=checks.ok,
        started_at="",
        commit=git_commit(),
        url=cfg.url,
        config=msgspec.to_builtins(cfg),
        setup_s=0.0,
        connect_s=0.0,
        wall_s=wall,
        sent=sent,
        acked=acked,
        delivered=delivered,
        echoes=sum(f.echoes for f in finals),
        msgs_per_s=acked / wall if wall and work else 0.0,
        deliveries_per_s=delivered / wall if wall and work else 0.0,
        cpu_unit=unit,
        latency_ms=latency_stats(samples),
        checks=checks,
        client=client,
        server=server,
        machine=machine_stats,
        server_us_per_msg=1e6 * server.cpu_s / work if server and work else 0.0,
        client_us_per_msg=1e6 * cpu_s / work if work else 0.0,
        extra=extra,
    )
    if work:
        result.bound = bottleneck(result, machine_cpu_count())
    return result
