"""HAProxy (Debian's package) running the project's own deploy/haproxy.cfg, with the
addresses of the test's processes given through the environment as the file expects."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import shutil
import signal
import socket
from pathlib import Path
from typing import IO

import pytest

from tests.helpers.process import free_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
BINARY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def require_haproxy() -> None:
    if os.access(BINARY, os.X_OK):
        return
    message = "haproxy is not installed (scripts/install-test-system-deps.sh)"
    if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and CHINWAG_REQUIRE_SERVICES=1")
    pytest.skip(message)


class HaProxy:
    def __init__(self, work_dir: Path, api: list[str], gateways: list[str]) -> None:
        self.work_dir = work_dir
        self.port = free_port()
        self.stats_socket = work_dir / "haproxy.sock"
        self.env = {
            **os.environ,
            "CHINWAG_LB_BIND": f"127.0.0.1:{self.port}",
            "CHINWAG_LB_STATS_SOCKET": str(self.stats_socket),
            "CHINWAG_API_1": api[0],
            "CHINWAG_API_2": api[1],
            "CHINWAG_GATEWAY_1": gateways[0],
            "CHINWAG_GATEWAY_2": gateways[-1],
        }
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    async def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.work_dir / "haproxy.log").open("ab")
        # -db: stay in the foreground, as under systemd.
        self.proc = await asyncio.create_subprocess_exec(
            BINARY, "-db", "-f", str(CONFIG), env=self.env, stdout=self._log, stderr=self._log
        )
        for _ in range(500):
            if self.proc.returncode is not None:
                raise RuntimeError(f"haproxy exited with {self.proc.returncode}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("haproxy did not start")

    async def server_status(self, backend: str) -> dict[str, str]:
        """`show stat` from the stats socket: each server's status (UP, DOWN, ...)."""
        reader, writer = await asyncio.open_unix_connection(str(self.stats_socket))
        writer.write(b"show stat\n")
        data = await reader.read()
        writer.close()
        rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
        return {
            r["svname"]: r["status"]
            for r in rows
            if r["pxname"] == backend and r["svname"] not in ("FRONTEND", "BACKEND")
        }

    async def served(self, backend: str) -> dict[str, int]:
        """Requests each server of `backend` answered with 2xx."""
        reader, writer = await asyncio.open_unix_connection(str(self.stats_socket))
        writer.write(b"show stat\n")
        data = await reader.read()
        writer.close()
        rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
        return {
            r["svname"]: int(r["hrsp_2xx"] or 0)
            for r in rows
            if r["pxname"] == backend and r["svname"] not in ("FRONTEND", "BACKEND")
        }

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 10)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
