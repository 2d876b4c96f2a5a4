"""chinwag processes of a cluster under test: one api process and several gateways.

Each runs `python -m chinwag serve --role ...` against the test's PostgreSQL database
and NATS server, with short presence and registry timings; its log goes to a file
beside its data directory, for reading when a test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import IO, Any

import httpx

from tests.helpers.process import free_port
from tests.helpers.server import FAST

# Presence timeout 2 s: a dead gateway's users go offline, and its registry entry
# expires (registry TTL 2 s), within about 2 s.
TIMINGS: dict[str, Any] = {
    "presence_timeout": 2.0,
    "registry_ttl": 2.0,
    "presence_grace": 0.6,
    "heartbeat_interval": 0.5,
    "last_active_write_interval": 0.0,
    "drain_seconds": 1.0,
    "sends_per_user_per_sec": 100_000,
    "send_burst": 100_000,
    "small_group_limit": 3,
    "log_format": "text",
    "log_level": "info",
}


class Node:
    def __init__(
        self,
        name: str,
        role: str,
        work_dir: Path,
        store: str,
        nats: str,
        *,
        port: int | None = None,
        **settings: Any,
    ) -> None:
        self.name = name
        self.role = role
        self.work_dir = work_dir
        self.store = store
        self.nats = nats
        self.port = port or free_port()
        self.settings = {**FAST, **TIMINGS, **settings}
        if role in ("gateway", "all"):
            self.settings.setdefault("gateway_id", name)
            self.settings.setdefault("public_url", self.ws_url)
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    @property
    def log_path(self) -> Path:
        return self.work_dir / f"{self.name}.log"

    async def start(self) -> None:
        data_dir = self.work_dir / self.name
        data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        for key, value in self.settings.items():
            env["CHINWAG_" + key.upper()] = str(value)
        args = [
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--role",
            self.role,
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--store",
            self.store,
            "--nats",
            self.nats,
        ]
        self._log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *args, env=env, stdout=self._log, stderr=self._log
        )
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                if self.proc.returncode is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.proc.returncode}:\n{self.log()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.base_url + "/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill9(self) -> None:
        await self.stop(signal.SIGKILL)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        code = None
        if self.proc is not None:
            if self.proc.returncode is None:
                self.proc.send_signal(sig)
            try:
                code = await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()  # never leave a process behind a failed test
                await self.proc.wait()
                raise
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


class Cluster:
    """An api process and `gateways` gateway processes sharing one store and NATS."""

    def __init__(self, work_dir: Path, store: str, nats: str, gateways: int = 3, **settings: Any):
        self.api = Node("api", "api", work_dir, store, nats, **settings)
        self.gateways = [
            Node(f"gw{i}", "gateway", work_dir, store, nats, **settings) for i in range(gateways)
        ]

    @property
    def nodes(self) -> list[Node]:
        return [self.api, *self.gateways]

    async def start(self) -> None:
        # The api process first: it applies the migrations the gateways then find done.
        await self.api.start()
        await asyncio.gather(*(g.start() for g in self.gateways))

    async def stop(self) -> None:
        await asyncio.gather(*(n.stop() for n in self.nodes), return_exceptions=True)

    def logs(self) -> str:
        return "\n".join(f"===== {n.name}\n{n.log()}" for n in self.nodes)

    def warnings(self) -> str:
        """Every warning and error the nodes logged: what to read when a fault test fails."""
        lines = []
        for n in self.nodes:
            with contextlib.suppress(FileNotFoundError):
                text = n.log_path.read_text(errors="replace")
                lines += [
                    f"{n.name}: {x}"
                    for x in text.splitlines()
                    if " WARNING " in x or " ERROR " in x
                ]
        return "\n".join(lines[-200:])
