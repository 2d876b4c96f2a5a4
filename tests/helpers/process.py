"""A chinwag server as a separate process, for tests that kill it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.helpers.server import FAST


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a command whose output a test reads as an operator would:
    without asyncio's debug mode (CI sets it for the tests), which logs slow callbacks to
    stderr under load."""
    env = {**os.environ, **extra}
    env.pop("PYTHONASYNCIODEBUG", None)
    return env


def free_port() -> int:
    """A free port below the kernel's ephemeral range, so that no client socket (of
    this test or anything else on the machine) takes it before the server binds it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class ServerProcess:
    def __init__(
        self, data_dir: Path, store: str = "", port: int | None = None, **settings: object
    ) -> None:
        self.data_dir = data_dir
        self.store = store
        self.port = port or free_port()
        self.settings = {**FAST, **settings}
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    async def start(self) -> None:
        env = dict(os.environ)
        for key, value in self.settings.items():
            env["CHINWAG_" + key.upper()] = str(value)
        args = [
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.store:
            args += ["--store", self.store]
        self.proc = await asyncio.create_subprocess_exec(
            *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if self.proc.returncode is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.base_url + "/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise RuntimeError("server did not become ready")

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 30)
