"""A PNG of a run's latency: histogram on a log scale and the tail as a CDF.

matplotlib is an optional dependency (`pip install chinwag[bench]`) and is imported only
here, with the Agg backend, so runs without `--plot` never load it.
"""

from __future__ import annotations

import math
from array import array

from chinwag.bench.report import Result


def write_plot(result: Result, samples_us: array[int], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ms = sorted(v / 1000.0 for v in samples_us if v >= 0)
    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(12, 4.5))
    label = "sync time per device" if result.workload == "reconnect" else "send to recipient"
    title = f"chinwag bench {result.workload}: {result.description}"
    fig.suptitle(title if len(title) < 110 else title[:107] + "...", fontsize=10)
    if not ms:
        hist.text(0.5, 0.5, "no samples", ha="center")
    else:
        low = max(ms[0], 0.01)
        high = max(ms[-1], low * 1.01)
        bins = [low * (high / low) ** (i / 80) for i in range(81)]
        hist.hist(ms, bins=bins, color="#3b75af")
        hist.set_xscale("log")
        hist.set_xlabel(f"latency, ms ({label})")
        hist.set_ylabel("messages" if result.workload != "reconnect" else "devices")
        n = len(ms)
        # The CDF against "nines" spreads the tail out: 90%, 99%, 99.9% evenly spaced.
        # A few hundred quantiles draw it; plotting millions of points would not look better.
        top = math.log10(n)
        nines = [top * i / 400 for i in range(401)]
        xs = [ms[min(n - 1, int((1 - 10**-q) * n))] for q in nines]
        cdf.plot(xs, nines, color="#c0392b")
        ticks = [t for t in range(7) if t <= top + 0.1]
        names = ["0", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]
        cdf.set_yticks(ticks, names[: len(ticks)])
        cdf.set_ylim(0, max(1.0, top + 0.1))
        cdf.set_xscale("log")
        cdf.set_xlabel("latency, ms")
        cdf.set_ylabel("percentile")
        lat = result.latency_ms
        for value, name in ((lat.p50, "p50"), (lat.p99, "p99"), (lat.max, "max")):
            for ax in (hist, cdf):
                ax.axvline(value, color="grey", linestyle=":", linewidth=1)
            cdf.annotate(f"{name} {value:.1f}", (value, 0.1), rotation=90, fontsize=8)
        cdf.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_timeline(runs: list[tuple[str, Result]], path: str) -> None:
    """Per-second delivery rate of each run and, when sampled (`--data-dir`), the sizes
    of the SQLite database and its write-ahead log: does throughput hold, does the disk
    stay bounded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sized = [(label, r) for label, r in runs if any(p.wal_mib or p.db_mib for p in r.timeline)]
    rows = 3 if sized else 2
    fig, axes = plt.subplots(rows, 1, figsize=(12, 3.6 * rows), squeeze=False)
    rate = axes[0][0]
    for label, r in runs:
        points = r.timeline
        rate.plot([p.t for p in points], [p.delivered_per_s for p in points], label=label)
    rate.set_xlabel("seconds")
    rate.set_ylabel("messages delivered per second")
    rate.set_ylim(bottom=0)
    rate.grid(True, alpha=0.3)
    rate.legend(fontsize=8)
    cost = axes[1][0]
    for label, r in runs:
        # Over 10-second windows: a second with few deliveries says little on its own.
        points = r.timeline
        xs, us = [], []
        for i in range(10, len(points)):
            part = points[i - 10 : i]
            msgs = sum(p.delivered_per_s for p in part)
            if msgs:
                xs.append(points[i].t)
                us.append(sum(p.server_cpu_pct for p in part) * 1e4 / msgs)
        cost.plot(xs, us, label=f"{label}: server CPU us per message (10 s)")
        cost.plot(
            [p.t for p in points],
            [p.machine_pct for p in points],
            linestyle=":",
            label=f"{label}: whole machine CPU, % of one core",
        )
    cost.set_xlabel("seconds")
    cost.set_ylim(bottom=0)
    cost.grid(True, alpha=0.3)
    cost.legend(fontsize=8)
    if sized:
        disk = axes[2][0]
        for label, r in sized:
            points = r.timeline
            disk.plot([p.t for p in points], [p.wal_mib for p in points], label=f"{label}: log")
            disk.plot(
                [p.t for p in points],
                [p.db_mib - points[0].db_mib for p in points],
                linestyle="--",
                label=f"{label}: database growth",
            )
        disk.set_xlabel("seconds")
        disk.set_ylabel("MiB")
        disk.grid(True, alpha=0.3)
        disk.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """`chinwag bench timeline --out PNG RESULT.json...`: one plot of several runs."""
    import argparse

    import msgspec

    p = argparse.ArgumentParser(prog="chinwag bench timeline", description=write_timeline.__doc__)
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("results", nargs="+", help="JSON results of chinwag bench (--out)")
    ns = p.parse_args(argv)
    runs = []
    for name in ns.results:
        with open(name, "rb") as f:
            result = msgspec.json.decode(f.read(), type=Result)
        runs.append((result.description or name, result))
    write_timeline(runs, ns.out)
    return 0
