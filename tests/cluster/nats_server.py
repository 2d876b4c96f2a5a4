"""A nats-server of a test's own, on a random port, with JetStream on disk.

Each test that starts one gets a cluster namespace nobody else touches, and can stop
and restart it (same port, same store directory) to see NATS go away mid-traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
from pathlib import Path
from typing import IO

from tests.helpers.process import free_port

BINARY = shutil.which("nats-server") or "/usr/sbin/nats-server"


class NatsServer:
    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self.work_dir = work_dir
        self.port = port or free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.work_dir / "nats-server.log").open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            BINARY,
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.work_dir / "jetstream"),
            stdout=self._log,
            stderr=self._log,
        )
        for _ in range(500):
            if self.proc.returncode is not None:
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("nats-server did not start")

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            await asyncio.wait_for(self.proc.wait(), 10)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()
