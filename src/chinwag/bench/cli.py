"""`chinwag bench WORKLOAD`: flags, running, printing, exit status.

Exit status 0 when every check passed, 1 on any loss, duplicate, disorder, error frame
or timeout (a FAILURE), 2 when the run could not be carried out at all.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chinwag.bench.config import WORKLOADS, BenchConfig, parse_source_addrs

DESCRIPTION = """\
Load generator for a chinwag server. It creates its own users, friendships and channels,
so run it against a server started with raised limits, for example:

  CHINWAG_ARGON2_TIME_COST=1 CHINWAG_ARGON2_MEMORY_KIB=8 chinwag serve --port 8810 \\
    --data-dir /tmp/benchdata --log-level warning \\
    --sends-per-user-per-sec 1000000 --send-burst 1000000 \\
    --login-per-account-per-min 100000 --login-per-address-per-min 10000000 \\
    --signup-per-address-per-min 10000000

(default limits: 200 sends/s per user, 10 logins/min per account, 60 per address, 30
signups/min per address; cheap argon2 because each bench user logs in once).

workloads:
  pairs      1:1 throughput and latency, --window unacknowledged sends per sender
  rate       latency at a fixed offered --rate (msg/s, paced per sender, open loop)
  idle       --connections authenticated sockets; server memory per connection
             (needs --server-pid)
  reconnect  --devices that missed --missed messages each reconnect with their cursor
  group      fan-out: --groups groups of --group-size, --senders senders each
  soak       long mixed workload with random disconnects (chinwag bench soak --help)
  presence   server CPU per presence change (chinwag bench presence --help)
  prefill    give a SQLite data directory a past before a server runs on it: millions
             of messages written in bulk (chinwag bench prefill --help)
  timeline   one PNG of several runs: rate per second, database and log sizes
  search     search latency (p50/p99) over a large store on either engine
             (chinwag bench search --help)
  upload     upload and download MB/s, thumbnails/s, server memory under many uploads
             (chinwag bench upload --help)
"""


def _add_flags(p: argparse.ArgumentParser) -> None:
    d = BenchConfig(workload="pairs")
    p.add_argument("workload", choices=WORKLOADS)
    p.add_argument("--url", default=d.url, help=f"server base URL (default {d.url})")
    p.add_argument(
        "--ws-url",
        default="",
        help="WebSocket URL, or a comma list of gateways (default: from --url)",
    )
    p.add_argument("--procs", type=int, default=d.procs, help="client processes (default 1)")
    p.add_argument(
        "--source-addrs",
        default="auto",
        help="local addresses to connect from: a count N (127.0.0.1..N), a comma list, or"
        " auto (four loopback addresses when the server is on 127.x; default)",
    )
    for name, kind, help_ in (
        ("pairs", int, "pairs of users (pairs, rate)"),
        ("messages", int, "messages per sender (pairs, group)"),
        ("window", int, "unacknowledged sends per sender (pairs, group)"),
        ("rate", float, "offered msg/s, all senders together (rate)"),
        ("duration", float, "seconds of sending; 0: until --messages are sent (rate: 10)"),
        ("text-size", int, "characters per message text (>= 20)"),
        ("connections", int, "idle connections (idle)"),
        ("hold", float, "seconds to hold idle connections (idle)"),
        ("devices", int, "reconnecting devices (reconnect)"),
        ("missed", int, "messages each device misses (reconnect)"),
        ("group-size", int, "members per group (group; reconnect: <= 100)"),
        ("groups", int, "groups (group)"),
        ("senders", int, "senders per group (group)"),
        ("connect-concurrency", int, "WebSocket handshakes in flight per process"),
        ("setup-concurrency", int, "HTTP requests in flight during setup"),
        ("timeout", float, "seconds without progress before the run fails (and per handshake)"),
        ("read-buffer", int, "picows initial read buffer per socket (0: by workload)"),
        ("server-pid", int, "sample this process's CPU and RSS (the server's pid)"),
    ):
        dest = name.replace("-", "_")
        default = getattr(d, dest)
        p.add_argument(f"--{name}", dest=dest, type=kind, default=default,
                       help=f"{help_} (default {default})")  # fmt: skip
    p.add_argument(
        "--data-dir",
        default="",
        help="the server's SQLite data directory (on this machine): sample the sizes of its"
        " database and write-ahead log every second",
    )
    p.add_argument(
        "--cpu",
        action="append",
        default=[],
        metavar="NAME=PID[+PID...]",
        help="also measure the CPU of these processes and their children over the measured"
        " window, per message (repeatable; e.g. postgres=<postmaster pid>, gw=<pid>+<pid>)",
    )
    p.add_argument("--duplex", action="store_true", help="both users of a pair send")
    p.add_argument(
        "--no-heartbeat",
        dest="heartbeat",
        action="store_false",
        help="devices send no heartbeats (by default each pings at the interval its welcome"
        " announces, as clients do; without, a device that only receives goes offline after"
        " the server's presence timeout)",
    )
    p.add_argument("--prefix", default="", help="username prefix (default random)")
    p.add_argument("--out", default="", help="write the JSON result here")
    p.add_argument("--plot", default="", help="write a PNG latency plot here")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def config_from(ns: argparse.Namespace) -> BenchConfig:
    keys = set(BenchConfig.__struct_fields__) - {"source_addrs", "progress", "cpu"}
    values: dict[str, Any] = {k: getattr(ns, k) for k in keys if hasattr(ns, k)}
    return BenchConfig(
        source_addrs=parse_source_addrs(ns.source_addrs, ns.url),
        progress=not ns.quiet,
        cpu=tuple(getattr(ns, "cpu", None) or ()),
        **values,
    )


def cmd_bench(ns: argparse.Namespace) -> None:
    import uvloop

    from chinwag.bench.report import latencies_of, summary, write_json
    from chinwag.bench.run import run_workload

    try:
        cfg = config_from(ns)
        cfg.validate()
    except ValueError as exc:
        sys.exit(f"chinwag bench: {exc}")
    try:
        result, finals = uvloop.run(run_workload(cfg))
    except Exception as exc:  # any crash is reported, exit status 2
        print(f"chinwag bench: the run could not complete: {exc!r}", file=sys.stderr)
        sys.exit(2)
    print(summary(result), flush=True)
    if cfg.out:
        write_json(result, cfg.out)
    if cfg.plot:
        from chinwag.bench.plot import write_plot

        write_plot(result, latencies_of(finals), cfg.plot)
    sys.exit(0 if result.ok else 1)


def register(sub: Any) -> None:
    """Add `bench` to the `chinwag` command's subcommands."""
    p = sub.add_parser(
        "bench",
        help="load generator: throughput, latency, memory, reconnect and fan-out",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_flags(p)
    p.set_defaults(func=cmd_bench)
