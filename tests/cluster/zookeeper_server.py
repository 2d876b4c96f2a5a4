"""A ZooKeeper of a test's own (Debian's `zookeeper` package), on a random port.

Standalone, with its data in the test's directory and a 200 ms tick, so sessions of
2 s are allowed (ZooKeeper accepts 2 to 20 ticks unless told otherwise; the bounds are
set explicitly here). It can be stopped and started again on the same port, with its
data kept (sessions survive) or wiped (every session and node is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from pathlib import Path
from typing import IO

import pytest

from tests.helpers.process import free_port

JAR = Path("/usr/share/java/zookeeper.jar")
JAVA = shutil.which("java") or "/usr/bin/java"
MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"


def require_zookeeper() -> None:
    if JAR.exists() and os.access(JAVA, os.X_OK):
        return
    message = f"ZooKeeper is not installed ({JAR}; scripts/install-test-system-deps.sh)"
    if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and CHINWAG_REQUIRE_SERVICES=1")
    pytest.skip(message)


class ZooKeeperServer:
    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self.work_dir = work_dir
        self.port = port or free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/chinwag") -> str:
        return f"zookeeper://{self.hosts}{path}"

    async def start(self) -> None:
        data = self.work_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "zoo.cfg"
        config.write_text(
            "tickTime=200\n"
            f"dataDir={data}\n"
            f"clientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\n"
            "minSessionTimeout=400\n"
            "maxSessionTimeout=60000\n"
            "admin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\n"
        )
        self._log = (self.work_dir / "zookeeper.log").open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            JAVA,
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            str(JAR),
            MAIN,
            str(config),
            stdout=self._log,
            stderr=self._log,
        )
        for _ in range(1500):
            if self.proc.returncode is not None:
                raise RuntimeError(f"ZooKeeper exited with {self.proc.returncode}")
            if await asyncio.to_thread(self._ok):
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("ZooKeeper did not start")

    def _ok(self) -> bool:
        """ZooKeeper's own health check: `ruok` answered with `imok`."""
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 0.5) as s,
        ):
            s.sendall(b"ruok")
            s.settimeout(2)
            return s.recv(4) == b"imok"
        return False

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            await asyncio.wait_for(self.proc.wait(), 20)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def restart(self, *, wipe: bool = False) -> None:
        await self.stop(signal.SIGKILL if wipe else signal.SIGTERM)
        if wipe:
            shutil.rmtree(self.work_dir / "data")
        await self.start()
