"""The result of a run: merged from the shards, judged, printed and written as JSON."""

from __future__ import annotations

import subprocess
from array import array
from pathlib import Path
from typing import Any

import msgspec

from chinwag.bench.links import ShardResult
from chinwag.bench.monitor import MachineStats, ServerStats
from chinwag.bench.progress import Point


class LatencyStats(msgspec.Struct):
    """Milliseconds; `count` samples."""

    count: int = 0
    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    max: float = 0.0
    mean: float = 0.0


class Checks(msgspec.Struct):
    """Every way a run can be wrong; `ok` only when all are zero."""

    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    cursor_gaps: int = 0
    cursor_duplicates: int = 0
    cursor_out_of_order: int = 0
    unacked: int = 0
    resets: int = 0
    unexpected_closes: int = 0
    connect_failures: int = 0
    foreign: int = 0
    timed_out: int = 0
    errors: dict[str, int] = {}
    close_codes: dict[str, int] = {}
    examples: list[str] = []

    @property
    def ok(self) -> bool:
        counts = (
            self.lost,
            self.duplicated,
            self.out_of_order,
            self.cursor_gaps,
            self.cursor_duplicates,
            self.cursor_out_of_order,
            self.unacked,
            self.resets,
            self.unexpected_closes,
            self.connect_failures,
            self.foreign,
            self.timed_out,
        )
        return not any(counts) and not self.errors


class ClientStats(msgspec.Struct):
    procs: int
    cpu_s: float  # CPU seconds of all shards during the measured window
    cpu_pct: float  # of one core
    rss_mib: float  # all shards together
    per_shard_cpu_pct: list[float] = []


class Result(msgspec.Struct):
    workload: str
    description: str
    ok: bool
    started_at: str
    commit: str
    url: str
    config: dict[str, Any]
    setup_s: float
    connect_s: float
    wall_s: float  # from the go to the last expected delivery (or sync)
    sent: int
    acked: int
    delivered: int
    echoes: int
    msgs_per_s: float  # acknowledged messages per second of wall_s
    deliveries_per_s: float  # message frames at other users' devices per second
    latency_ms: LatencyStats
    checks: Checks
    client: ClientStats
    server: ServerStats | None = None
    machine: MachineStats | None = None
    cpu_unit: str = "message"  # what server_us_per_msg and client_us_per_msg divide by
    server_us_per_msg: float = 0.0
    client_us_per_msg: float = 0.0
    bound: str = ""
    extra: dict[str, float] = {}
    timeline: list[Point] = []


def git_commit() -> str:
    """The bench's source commit (the server's when both come from this checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def latencies_of(results: list[ShardResult]) -> array[int]:
    merged: array[int] = array("q")
    for r in results:
        merged.frombytes(r.latencies)
    return merged


def latency_stats(samples_us: array[int]) -> LatencyStats:
    if not samples_us:
        return LatencyStats()
    ordered = sorted(samples_us)
    n = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(n - 1, int(p * n))] / 1000.0

    return LatencyStats(
        n,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        ordered[-1] / 1000.0,
        sum(ordered) / n / 1000,
    )


def merge_checks(results: list[ShardResult]) -> Checks:
    c = Checks()
    for r in results:
        c.lost += r.lost
        c.duplicated += r.duplicated
        c.out_of_order += r.out_of_order
        c.cursor_gaps += r.cursor_gaps
        c.cursor_duplicates += r.cursor_duplicates
        c.cursor_out_of_order += r.cursor_out_of_order
        c.unacked += r.unacked
        c.resets += r.resets
        c.unexpected_closes += r.unexpected_closes
        c.connect_failures += r.connect_failures
        c.foreign += r.foreign
        c.timed_out += int(r.timed_out)
        for key, n in r.errors.items():
            c.errors[key] = c.errors.get(key, 0) + n
        for key, n in r.close_codes.items():
            c.close_codes[key] = c.close_codes.get(key, 0) + n
        c.examples += r.examples[: max(0, 20 - len(c.examples))]
    return c


def bottleneck(result: Result, cores: int) -> str:
    """A plain-words guess at what limited the run, from CPU use."""
    client = result.client.cpu_pct
    if result.server is None:
        return f"client used {client:.0f}% of a core; pass --server-pid to compare the server"
    server = result.server.cpu_pct_avg
    m = result.machine
    busy = m.busy_pct if m is not None else server + client
    others = f", other processes {m.others_pct:.0f}%" if m is not None else ""
    if busy >= 90 * cores:
        who = "server" if server >= client else "client"
        return (
            f"machine CPU-bound ({busy:.0f}% of {cores * 100}%: server {server:.0f}%, client"
            f" {client:.0f}%{others}); the {who} uses more"
        )
    if server >= 90:
        return f"server near one core ({server:.0f}%): its event loop is the likely limit"
    return (
        f"no CPU saturated (server {server:.0f}%, client {client:.0f}%{others}): waiting on"
        " storage commits or on the send window"
    )


def summary(result: Result) -> str:
    r, lat, c = result, result.latency_ms, result.checks
    lines = [f"chinwag bench {r.workload}: {r.description}"]
    lines.append(
        f"  setup {r.setup_s:.1f} s, connect {r.connect_s:.1f} s, measured {r.wall_s:.2f} s"
    )
    if r.workload in ("pairs", "rate", "group"):
        lines.append(
            f"  messages: {r.sent} sent, {r.acked} stored and acknowledged, {r.delivered}"
            f" delivered to recipients: {r.msgs_per_s:,.0f} msg/s,"
            f" {r.deliveries_per_s:,.0f} deliveries/s"
        )
    for key, value in r.extra.items():
        lines.append(f"  {key}: {value:,.3f}")
    if r.workload == "idle" and r.server is None:
        lines.append("  server memory per connection: not measured (pass --server-pid)")
    if lat.count:
        what = "sync time per device" if r.workload == "reconnect" else "latency"
        lines.append(
            f"  {what} ms: p50 {lat.p50:.2f}  p90 {lat.p90:.2f}  p99 {lat.p99:.2f}"
            f"  p99.9 {lat.p999:.2f}  max {lat.max:.2f}  (n={lat.count})"
        )
    if r.server is not None:
        s = r.server
        lines.append(
            f"  server: CPU {s.cpu_pct_avg:.0f}% avg (max {s.cpu_pct_max:.0f}%) of one core,"
            f" {s.cpu_s:.2f} s; RSS {s.rss_mib_start:.0f} -> {s.rss_mib_max:.0f} MiB max"
            + (
                f"; {r.server_us_per_msg:.1f} us CPU per {r.cpu_unit}"
                if r.server_us_per_msg
                else ""
            )
        )
    lines.append(
        f"  client: {r.client.procs} process(es), CPU {r.client.cpu_pct:.0f}% of one core,"
        f" {r.client.cpu_s:.2f} s, RSS {r.client.rss_mib:.0f} MiB"
        + (f"; {r.client_us_per_msg:.1f} us CPU per {r.cpu_unit}" if r.client_us_per_msg else "")
    )
    if r.machine is not None:
        m = r.machine
        lines.append(
            f"  machine: {m.cores} cores {m.busy_pct:.0f}% busy (of {m.cores * 100}%), load"
            f" {m.load_avg_1m:.1f}"
            + (f"; other processes {m.others_pct:.0f}%" if r.server is not None else "")
        )
    if r.bound:
        lines.append(f"  bound: {r.bound}")
    verdict = "OK" if c.ok else "FAILURE"
    lines.append(
        f"  checks: {verdict}: {c.lost} lost, {c.duplicated} duplicated, {c.out_of_order} out of"
        f" order, cursor {c.cursor_gaps} gaps / {c.cursor_duplicates} repeats /"
        f" {c.cursor_out_of_order} out of order, {c.unacked} unacknowledged, {c.resets} resets,"
        f" {c.unexpected_closes} unexpected closes, {c.connect_failures} failed connects,"
        f" {c.timed_out} timed-out shards, errors {c.errors or 'none'}"
    )
    lines += [f"    {e}" for e in c.examples[:10]]
    return "\n".join(lines)


def write_json(result: Result, path: str) -> None:
    Path(path).write_bytes(msgspec.json.format(msgspec.json.encode(result), indent=2) + b"\n")
