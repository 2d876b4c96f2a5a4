"""Set a bench run's per-second timeline beside scripts/machine-probe.c's readings.

    .venv/bin/python scripts/probe-vs-run.py RESULT.json PROBE.txt [SECONDS]

Over windows of SECONDS (default 5), from the tenth second on: the server's CPU per
message and the probe's memory latency, each window's line, and their correlation. A
run's timeline counts from its start, which is `started_at` rounded to the second, so
the windows line up to within a second (enough at 5-s windows)."""

from __future__ import annotations

import statistics
import sys
from datetime import datetime
from pathlib import Path

import msgspec


def main() -> None:
    result_path, probe_path = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    result = msgspec.json.decode(Path(result_path).read_bytes())
    timeline = result["timeline"]
    t0 = datetime.fromisoformat(result["started_at"]).timestamp() + result["setup_s"]
    t0 += result["connect_s"]
    probe: dict[int, list[float]] = {}
    for line in Path(probe_path).read_text().splitlines():
        when, ns, _ = line.split()
        probe.setdefault(int((float(when) - t0) // width), []).append(float(ns))
    cost, latency = [], []
    for i in range(10, len(timeline) - width + 1, width):
        part = timeline[i : i + width]
        msgs = sum(p["delivered_per_s"] for p in part)
        readings = probe.get(i // width)
        if not msgs or not readings:
            continue
        us = sum(p["server_cpu_pct"] for p in part) * 1e4 / msgs
        ns = statistics.mean(readings)
        cost.append(us)
        latency.append(ns)
        print(f"{i:5d} s  server {us:6.1f} us/msg  memory {ns:5.0f} ns")
    if len(cost) > 2:
        print(f"correlation over {len(cost)} windows: {statistics.correlation(cost, latency):.2f}")


if __name__ == "__main__":
    main()
