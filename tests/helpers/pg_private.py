"""A private PostgreSQL server for one test, on a random port, that the test may stop
and start (the shared one on 5432 must never be restarted under other tests); and a
streaming replica of it, made with pg_basebackup."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers.process import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip("PostgreSQL server binaries are not installed")
    return found[-1]


class PrivatePostgres:
    """Lives in its own temporary folder (pytest's are private to root, and the server
    must run as the postgres user); `cleanup` removes it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="chinwag-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_postgres, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def replicate(self, primary: PrivatePostgres) -> None:
        """Instead of `init`: become a streaming replica of `primary` (running), which
        replays its WAL from then on once started."""
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _bin("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
        )

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} -c fsync=on"
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def kill9(self) -> None:
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)
