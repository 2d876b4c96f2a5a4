"""What one bench run does: the workload and its sizes, as one immutable value.

The same value travels to every worker process (it is a msgspec Struct, so it encodes to
bytes), which is why it holds only plain data.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

import msgspec

WORKLOADS = ("pairs", "rate", "idle", "reconnect", "group")


class BenchConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a run needs; defaults are sized for a quick look, not a record."""

    workload: str
    url: str = "http://127.0.0.1:8080"
    ws_url: str = ""  # default: derived from url; a comma list spreads devices over gateways
    procs: int = 1
    source_addrs: tuple[str, ...] = ()  # local addresses to connect from; () lets the kernel pick
    # pairs / rate
    pairs: int = 100
    messages: int = 2_000  # per sender (pairs, group)
    window: int = 1  # unacknowledged sends per sender (pairs, group)
    duplex: bool = False  # both members of a pair send (pairs, rate)
    rate: float = 5_000.0  # offered messages per second, all senders together (rate)
    duration: float = 0.0  # seconds of sending; 0: until `messages` are sent (rate: 10)
    text_size: int = 32  # characters of text per message (at least the 20-digit timestamp)
    # Every device pings at the interval its welcome announces, as clients do: a device
    # that only receives would otherwise go offline after the presence timeout, and the
    # server would do push work for each message it gets from then on.
    heartbeat: bool = True
    # idle
    connections: int = 1_000
    hold: float = 3.0  # seconds to hold idle connections after memory is measured
    # reconnect
    devices: int = 1_000
    missed: int = 50
    # group (and the grouping of reconnecting devices)
    group_size: int = 100
    groups: int = 1
    senders: int = 1  # senders per group
    # mechanics
    connect_concurrency: int = 256  # handshakes in flight per process
    setup_concurrency: int = 64  # HTTP requests in flight during setup
    timeout: float = 30.0  # seconds without progress before a phase fails; also per handshake
    read_buffer: int = 0  # picows initial read buffer per socket; 0 picks by workload
    prefix: str = ""  # username prefix; default random per run
    password: str = "bench-password"
    server_pid: int = 0  # sample this process's CPU and RSS (psutil) when non-zero
    data_dir: str = ""  # the server's SQLite data dir: sample its database and log sizes
    # NAME=PID[+PID...]: CPU of each group of process trees over the measured window
    cpu: tuple[str, ...] = ()
    out: str = ""  # JSON result path
    plot: str = ""  # PNG latency plot path
    progress: bool = True  # a line per second on stderr

    @property
    def websocket_urls(self) -> list[str]:
        """Gateways to connect to; devices are dealt over them in turn (a cluster)."""
        return [u.strip() for u in self.websocket_url.split(",") if u.strip()]

    @property
    def websocket_url(self) -> str:
        if self.ws_url:
            return self.ws_url
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}/v1/ws"

    @property
    def user_prefix(self) -> str:
        return self.prefix or "b" + secrets.token_hex(3)

    @property
    def send_duration(self) -> float:
        if self.workload == "rate" and self.duration <= 0:
            return 10.0
        return self.duration

    def validate(self) -> None:
        if self.workload not in WORKLOADS:
            raise ValueError(f"workload must be one of {', '.join(WORKLOADS)}")
        if self.procs < 1 or self.window < 1 or self.senders < 1:
            raise ValueError("procs, window and senders must be at least 1")
        if self.text_size < 20:
            raise ValueError("text_size must be at least 20 (the send timestamp)")
        if self.workload == "group" and self.senders > self.group_size:
            raise ValueError("senders cannot exceed group_size")
        from chinwag.bench.monitor import parse_cpu_groups

        parse_cpu_groups(self.cpu)
        if self.workload == "reconnect" and not 2 <= self.group_size <= 100:
            raise ValueError("reconnect groups must have 2 to 100 members (fan-out on write)")


def parse_source_addrs(value: str, url: str) -> tuple[str, ...]:
    """`4` means 127.0.0.1 .. 127.0.0.4; a comma list is taken as is; `auto` uses four
    loopback addresses when the server is on IPv4 loopback, else lets the kernel pick."""
    value = value.strip()
    if value == "auto":
        host = urlsplit(url).hostname or ""
        try:
            loopback = ipaddress.ip_address(host).version == 4 and host.startswith("127.")
        except ValueError:
            loopback = False
        return tuple(f"127.0.0.{i}" for i in range(1, 5)) if loopback else ()
    if value.isdigit():
        count = int(value)
        if not 1 <= count <= 254:
            raise ValueError("source address count must be 1 to 254")
        return tuple(f"127.0.0.{i}" for i in range(1, count + 1))
    return tuple(a.strip() for a in value.split(",") if a.strip())
