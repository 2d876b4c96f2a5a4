"""Running `chinwag chat` as a subprocess without blocking the server's event loop."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.process import cli_env

PASSWORD = "correct horse"
PATIENCE = 30.0  # only guards against a hang; no test asserts on time


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    """The CLI of one person: their own config directory, one server."""

    server: str
    config_dir: Path

    def env(self) -> dict[str, str]:
        return cli_env(CHINWAG_CONFIG_DIR=str(self.config_dir))

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "chinwag", "chat", "--server", self.server, *args]

    async def __call__(self, *args: str, stdin: str | None = None) -> Result:
        proc = await asyncio.create_subprocess_exec(
            *self.argv(*args),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env(),
        )
        async with asyncio.timeout(PATIENCE):
            out, err = await proc.communicate(stdin.encode() if stdin is not None else b"")
        assert proc.returncode is not None
        result = Result(proc.returncode, out.decode(), err.decode())
        assert "Traceback" not in result.err, result.err
        return result

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        result = await self(*args, stdin=stdin)
        assert result.status == 0, result
        return result.out

    async def signup(self, username: str) -> None:
        await self.ok("signup", username, "--password-stdin", stdin=PASSWORD + "\n")

    async def spawn(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.argv(*args),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env(),
        )


async def read_line(stream: asyncio.StreamReader | None) -> str:
    assert stream is not None
    async with asyncio.timeout(PATIENCE):
        line = await stream.readline()
    assert line, "the stream ended"
    return line.decode().rstrip("\n")
