"""Sampling the server process's CPU and memory with psutil, when its pid is known.

CPU is reported in percent of one core (a server using its event loop and its SQLite
writer thread at once can pass 100%) and as CPU seconds over the measured window, which
the report divides by messages to compare server and client cost per message.
"""

from __future__ import annotations

import msgspec
import psutil  # type: ignore[import-untyped]

MIB = 1 << 20


class ServerStats(msgspec.Struct):
    pid: int
    cpu_s: float = 0.0
    cpu_pct_avg: float = 0.0
    cpu_pct_max: float = 0.0
    rss_mib_start: float = 0.0
    rss_mib_end: float = 0.0
    rss_mib_max: float = 0.0
    threads: int = 0


class ServerMonitor:
    """Call `begin()` when measuring starts, `sample()` every second, `end()` after."""

    def __init__(self, pid: int) -> None:
        self._proc = psutil.Process(pid)
        self.stats = ServerStats(pid)
        self._cpu0 = 0.0
        self._samples: list[float] = []

    def rss_mib(self) -> float:
        return float(self._proc.memory_info().rss) / MIB

    def _cpu_total(self) -> float:
        t = self._proc.cpu_times()
        return float(t.user + t.system)

    def begin(self) -> None:
        self._cpu0 = self._cpu_total()
        self._proc.cpu_percent(None)  # starts psutil's interval
        rss = self.rss_mib()
        self.stats.rss_mib_start = self.stats.rss_mib_max = rss
        self._samples = []

    def sample(self) -> tuple[float, float]:
        """(CPU % of one core since the last sample, RSS MiB)."""
        try:
            pct = float(self._proc.cpu_percent(None))
            rss = self.rss_mib()
        except psutil.Error:
            return 0.0, 0.0
        self._samples.append(pct)
        self.stats.cpu_pct_max = max(self.stats.cpu_pct_max, pct)
        self.stats.rss_mib_max = max(self.stats.rss_mib_max, rss)
        return pct, rss

    def end(self, wall_s: float) -> ServerStats:
        try:
            self.stats.cpu_s = self._cpu_total() - self._cpu0
            self.stats.rss_mib_end = self.rss_mib()
            self.stats.rss_mib_max = max(self.stats.rss_mib_max, self.stats.rss_mib_end)
            self.stats.threads = self._proc.num_threads()
        except psutil.Error:
            pass
        if wall_s > 0:
            self.stats.cpu_pct_avg = 100.0 * self.stats.cpu_s / wall_s
        # Runs shorter than a sampling second have no samples: the average is all we know.
        self.stats.cpu_pct_max = max(self.stats.cpu_pct_max, self.stats.cpu_pct_avg)
        return self.stats


class GroupCpu:
    """CPU time of a named group of processes and all their descendants (a cluster's
    gateways, or a PostgreSQL server's postmaster with its backends), between `begin()`
    and `end()`. Processes that start in between count in full; one that exits in between
    loses what it used since `begin()`, so measure over a window with stable pools."""

    def __init__(self, name: str, pids: tuple[int, ...]) -> None:
        self.name = name
        self._pids = pids
        self._start: dict[int, float] = {}

    def _now(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for pid in self._pids:
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for proc in procs:
                try:
                    t = proc.cpu_times()
                except psutil.Error:
                    continue
                found[proc.pid] = float(t.user + t.system)
        return found

    def begin(self) -> None:
        self._start = self._now()

    def end(self) -> float:
        """CPU seconds used by the group since `begin()`."""
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._now().items())


def parse_cpu_groups(values: tuple[str, ...]) -> list[GroupCpu]:
    """`NAME=PID[+PID...]` each, e.g. `postgres=4242` or `gateways=11+12+13`."""
    groups = []
    for value in values:
        name, sep, pids = value.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"--cpu takes NAME=PID[+PID...], not {value!r}")
        try:
            numbers = tuple(int(p) for p in pids.split("+"))
        except ValueError:
            raise ValueError(f"--cpu takes NAME=PID[+PID...], not {value!r}") from None
        groups.append(GroupCpu(name, numbers))
    return groups


def machine_cpu_count() -> int:
    return psutil.cpu_count() or 1


class MachineStats(msgspec.Struct):
    """The whole machine over the measured window, in percent of one core (2 cores: 200).

    `others_pct` is what neither the server nor the client used: other processes running
    on the same machine, which make a run's numbers lower than a quiet machine's."""

    cores: int
    busy_pct: float = 0.0
    others_pct: float = 0.0
    load_avg_1m: float = 0.0


class MachineMonitor:
    """Machine-wide CPU time between `begin()` and `end()`."""

    def __init__(self) -> None:
        self._t0 = psutil.cpu_times()

    def begin(self) -> None:
        self._t0 = psutil.cpu_times()

    def end(self, wall_s: float, server_cpu_s: float | None, client_cpu_s: float) -> MachineStats:
        t1 = psutil.cpu_times()
        idle = (t1.idle - self._t0.idle) + (
            getattr(t1, "iowait", 0.0) - getattr(self._t0, "iowait", 0.0)
        )
        total = sum(t1) - sum(self._t0)
        cores = machine_cpu_count()
        stats = MachineStats(cores, load_avg_1m=float(psutil.getloadavg()[0]))
        if wall_s > 0 and total > 0:
            busy_core_s = (total - idle) / total * wall_s * cores
            stats.busy_pct = 100.0 * busy_core_s / wall_s
            if server_cpu_s is not None:
                others = busy_core_s - server_cpu_s - client_cpu_s
                stats.others_pct = max(0.0, 100.0 * others / wall_s)
        return stats
