"""Measure the unit costs docs/capacity.md is derived from, on this machine.

Starts its own PostgreSQL (initdb in a temporary folder, a random port, durable commits)
and nats-server (random port), so that their CPU is this measurement's alone and the
shared servers of the machine are left alone, and the local cluster of scripts/cluster.sh
(one api process, three gateways) on them, then:

- CPU per message, per role: each workload runs twice, short and long, with the same
  setup; the difference of the CPU each process used, divided by the difference of the
  messages stored, is the marginal cost of a message, free of setup (signups, logins,
  connects). Roles: gateways (all three together), api, nats-server, and PostgreSQL
  (every process of the private server: backends, WAL writer, checkpointer).
- Bytes per stored message: the PostgreSQL relations that grow with messages (messages,
  inbox, sends, with their indexes and TOAST) divided by the messages stored.
- Memory per connection: `chinwag bench idle` against one gateway.
- CPU per api request (api process and PostgreSQL): GET /v1/discovery and a history
  page of 50, through httpx.
- Gateway CPU per heartbeat: 100 sockets on one gateway each ping 100 times.

Usage (from the repository root; needs Debian's postgresql and nats-server; run as root
or as a user that can run PostgreSQL):
    .venv/bin/python scripts/capacity_costs.py [--quick] [--out costs.json]
Prints a table and the machine's load during each measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin" / "chinwag"
DB = "chinwag_capacity"
BASE = int(os.environ.get("BASE", "8950"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Postgres:
    """A private PostgreSQL server in `root`, run as the postgres user when we are root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def _bin(name: str) -> str:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        if not found:
            raise SystemExit("PostgreSQL server binaries are not installed")
        return found[-1]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(self._bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c max_connections=200 -c fsync=on -c synchronous_commit=on"
        )
        self._run(
            self._bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
            str(self.root / "log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def cpu_s(self) -> float:
        """CPU of the server and every process it runs now (backends, WAL writer, ...)."""
        main = psutil.Process(int((self.data / "postmaster.pid").read_text().split()[0]))
        return sum(cpu_s(p.pid) for p in [main, *main.children(recursive=True)])


def cpu_s(pid: int) -> float:
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(t.user + t.system)


class Cluster:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.dir = work / "cluster"
        # A folder of its own: the server runs as the postgres user.
        self.pg = Postgres(Path(tempfile.mkdtemp(prefix="chinwag-capacity-pg-")))
        self.nats: subprocess.Popen[bytes] | None = None
        self.nats_port = 0

    @property
    def store(self) -> str:
        return self.pg.admin_url.rsplit("/", 1)[0] + "/" + DB

    def start(self) -> None:
        self.pg.start()
        self.nats_port = free_port()
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.nats = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.nats_port), "-js", "-sd", str(self.work)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "start"], env=self.env, check=True)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PG": self.pg.admin_url,
            "DB": DB,
            "DIR": str(self.dir),
            "BASE": str(BASE),
            "NATS": f"nats://127.0.0.1:{self.nats_port}",
            "BIN": str(BIN),
        }

    def stop(self) -> None:
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "stop"], env=self.env, check=False)
        if self.nats is not None:
            self.nats.terminate()
            self.nats.wait(10)
        self.pg.stop()
        shutil.rmtree(self.pg.root, ignore_errors=True)

    def pids(self) -> dict[str, int]:
        return {f.stem: int(f.read_text()) for f in sorted(self.dir.glob("*.pid"))}

    @property
    def ws_urls(self) -> str:
        return ",".join(f"ws://127.0.0.1:{BASE + i}/v1/ws" for i in (1, 2, 3))


def snapshot(cluster: Cluster) -> dict[str, Any]:
    pids = cluster.pids()
    assert cluster.nats is not None
    return {
        "api": cpu_s(pids["api"]),
        "gateways": sum(cpu_s(p) for name, p in pids.items() if name.startswith("gw")),
        "nats": cpu_s(cluster.nats.pid),
        "postgres": cluster.pg.cpu_s(),
        "machine": psutil.cpu_times(),
        "wall": time.monotonic(),
    }


def used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    out = {k: after[k] - before[k] for k in ("api", "gateways", "nats", "postgres")}
    busy = lambda t: t.user + t.nice + t.system + t.irq + t.softirq  # noqa: E731
    wall = after["wall"] - before["wall"]
    out["machine_busy_pct"] = 100 * (busy(after["machine"]) - busy(before["machine"])) / wall
    return out


def bench(workload: str, args: list[str], out: Path) -> dict[str, Any]:
    cmd = [str(BIN), "bench", workload, "--url", f"http://127.0.0.1:{BASE}", "--quiet"]
    subprocess.run([*cmd, *args, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text())
    if not result["ok"]:
        raise SystemExit(f"bench {workload} failed its checks: {result['checks']}")
    return result


async def measured(cluster: Cluster, workload: str, args: list[str], out: Path) -> dict[str, Any]:
    before = snapshot(cluster)
    result = bench(workload, args, out)
    after = snapshot(cluster)
    return {"acked": result["acked"], "delivered": result["delivered"], **used(before, after)}


async def marginal(
    cluster: Cluster, name: str, workload: str, short: list[str], long: list[str], work: Path
) -> dict[str, Any]:
    """CPU microseconds per message of each role, long run minus short run."""
    a = await measured(cluster, workload, short, work / f"{workload}-short.json")
    b = await measured(cluster, workload, long, work / f"{workload}-long.json")
    messages = b["acked"] - a["acked"]
    deliveries = b["delivered"] - a["delivered"]
    row: dict[str, Any] = {"workload": name, "messages": messages, "deliveries": deliveries}
    for role in ("gateways", "api", "nats", "postgres"):
        row[f"{role}_us_per_msg"] = round(1e6 * (b[role] - a[role]) / messages, 1)
    row["machine_busy_pct"] = round(max(a["machine_busy_pct"], b["machine_busy_pct"]))
    row["load_avg"] = os.getloadavg()[0]
    return row


async def stored_bytes(cluster: Cluster) -> dict[str, Any]:
    conn = await asyncpg.connect(cluster.store)
    try:
        await conn.execute("ANALYZE")
        messages = await conn.fetchval("SELECT count(*) FROM messages")
        inbox = await conn.fetchval("SELECT count(*) FROM inbox")
        sends = await conn.fetchval("SELECT count(*) FROM sends")
        sizes = {}
        for table in ("messages", "inbox", "sends"):
            sizes[table] = await conn.fetchval(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c"
                " WHERE c.relkind = 'r' AND (c.relname = $1 OR c.relname LIKE $1 || '_p%')",
                table,
            )
    finally:
        await conn.close()
    total = sum(sizes.values())
    return {
        "messages": messages,
        "inbox_rows": inbox,
        **{f"{t}_bytes": s for t, s in sizes.items()},
        "bytes_per_message": round(total / messages),
        "messages_bytes_per_message": round(sizes["messages"] / messages),
        "inbox_bytes_per_row": round(sizes["inbox"] / inbox),
        "sends_bytes_per_row": round(sizes["sends"] / sends),
    }


async def api_costs(cluster: Cluster, requests: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{BASE}"
    api_pid = cluster.pids()["api"]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        names = [f"cost{os.getpid()}{i}" for i in range(2)]
        tokens = []
        for n in names:
            await http.post("/v1/users", json={"username": n, "password": "correct horse"})
            r = await http.post("/v1/sessions", json={"username": n, "password": "correct horse"})
            tokens.append((r.json()["token"], r.json()["user"]["id"]))
        auth = [{"authorization": f"Bearer {t}"} for t, _ in tokens]
        r = await http.post("/v1/friends/requests", json={"user_id": tokens[1][1]}, headers=auth[0])
        await http.post(f"/v1/friends/requests/{r.json()['id']}/accept", headers=auth[1])
        r = await http.post(
            "/v1/channels", json={"kind": "direct", "user_id": tokens[1][1]}, headers=auth[0]
        )
        channel = r.json()["id"]
        for i in range(60):
            await http.post(
                f"/v1/channels/{channel}/messages",
                json={"client_msg_id": f"c{i}", "text": "x" * 32},
                headers=auth[0],
            )
        out: dict[str, Any] = {}
        for name, path in (
            ("discovery", "/v1/discovery"),
            ("history_page_50", f"/v1/channels/{channel}/messages?limit=50"),
        ):
            sem = asyncio.Semaphore(8)

            async def one(path: str = path, sem: asyncio.Semaphore = sem) -> None:
                async with sem:
                    r = await http.get(path, headers=auth[0])
                    r.raise_for_status()

            before, pg_before = cpu_s(api_pid), cluster.pg.cpu_s()
            await asyncio.gather(*(one() for _ in range(requests)))
            out[f"api_us_per_{name}"] = round(1e6 * (cpu_s(api_pid) - before) / requests)
            out[f"postgres_us_per_{name}"] = round(
                1e6 * (cluster.pg.cpu_s() - pg_before) / requests
            )
    return out


async def heartbeat_cost(cluster: Cluster, sockets: int, pings: int) -> dict[str, Any]:
    """Gateway CPU per heartbeat: `sockets` devices on one gateway each send `pings`
    pings (and get the pong), one round trip at a time."""
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    class Pinger(WSListener):  # type: ignore[misc]
        def __init__(self) -> None:
            self.frames: asyncio.Queue[bytes] = asyncio.Queue()

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.TEXT:
                self.frames.put_nowait(frame.get_payload_as_bytes())

    base = f"http://127.0.0.1:{BASE}"
    tokens = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for i in range(sockets):
            account = {"username": f"hb{os.getpid()}x{i}", "password": "correct horse"}
            await http.post("/v1/users", json=account)
            r = await http.post("/v1/sessions", json=account)
            tokens.append(r.json()["token"])
    conns = []
    for token in tokens:
        transport, listener = await ws_connect(Pinger, f"ws://127.0.0.1:{BASE + 1}/v1/ws")
        transport.send(WSMsgType.TEXT, json.dumps({"type": "hello", "token": token}).encode())
        while b'"welcome"' not in await listener.frames.get():
            pass
        conns.append((transport, listener))
    gw1 = cluster.pids()["gw1"]

    async def ping(transport: WSTransport, listener: Pinger) -> None:
        for _ in range(pings):
            transport.send(WSMsgType.TEXT, b'{"type":"ping"}')
            while b'"pong"' not in await listener.frames.get():
                pass

    before = cpu_s(gw1)
    await asyncio.gather(*(ping(t, lst) for t, lst in conns))
    us = 1e6 * (cpu_s(gw1) - before) / (sockets * pings)
    for transport, _ in conns:
        transport.disconnect()
    return {"gateway_us_per_heartbeat": round(us, 1), "heartbeats": sockets * pings}


async def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small runs, to try the script")
    parser.add_argument("--out", default="", help="write the figures as JSON here")
    ns = parser.parse_args()
    scale = 0.2 if ns.quick else 1.0
    work = Path(tempfile.mkdtemp(prefix="chinwag-capacity-"))
    cluster = Cluster(work)
    cluster.start()
    figures: dict[str, Any] = {"load_avg_at_start": os.getloadavg()}
    try:
        ws = ["--ws-url", cluster.ws_urls, "--procs", "2"]
        # A lived-in database first: the first messages of a fresh one are cheaper.
        bench("pairs", [*ws, "--pairs", "60", "--messages", str(int(1000 * scale)),
                        "--window", "8"], work / "warmup.json")  # fmt: skip
        rate = ["--pairs", "50", "--rate", "1000"]
        figures["one_to_one"] = await marginal(
            cluster, "1:1 at 1,000 msgs/s", "rate",
            [*ws, *rate, "--duration", str(5 * scale)],
            [*ws, *rate, "--duration", str(25 * scale)], work,
        )  # fmt: skip
        group = ["--groups", "10", "--group-size", "10", "--senders", "2", "--window", "4"]
        figures["group_of_10"] = await marginal(
            cluster, "groups of 10", "group",
            [*ws, *group, "--messages", str(int(100 * scale))],
            [*ws, *group, "--messages", str(int(500 * scale))], work,
        )  # fmt: skip
        figures["storage"] = await stored_bytes(cluster)
        figures["api"] = await api_costs(cluster, int(2000 * scale))
        figures["heartbeat"] = await heartbeat_cost(cluster, 100, int(100 * scale))
        gw1 = cluster.pids()["gw1"]
        idle = bench(
            "idle",
            ["--ws-url", f"ws://127.0.0.1:{BASE + 1}/v1/ws", "--procs", "2", "--hold", "3",
             "--connections", str(int(3000 * scale)), "--server-pid", str(gw1)],
            work / "idle.json",
        )  # fmt: skip
        figures["memory"] = {
            "connections": idle["extra"]["connections"],
            "gateway_kib_per_connection": round(idle["extra"]["server_kib_per_connection"], 1),
        }
        figures["load_avg_at_end"] = os.getloadavg()
    finally:
        cluster.stop()
    shutil.rmtree(work, ignore_errors=True)
    return figures


if __name__ == "__main__":
    figures = asyncio.run(main())
    text = json.dumps(figures, indent=2, default=float)
    print(text)
    if len(sys.argv) > 2 and "--out" in sys.argv:
        Path(sys.argv[sys.argv.index("--out") + 1]).write_text(text + "\n")
