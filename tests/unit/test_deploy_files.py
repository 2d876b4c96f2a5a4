"""The files in deploy/: HAProxy accepts its configuration, and systemd its units (each
running the role it is named for)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cluster.haproxy import BINARY, CONFIG, require_haproxy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = {"api": "8080", "gateway": "9001", "push": "8090"}


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    require_haproxy()
    env = {"CHINWAG_LB_STATS_SOCKET": str(tmp_path / "s.sock"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [BINARY, "-c", "-f", str(CONFIG)], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    env_file = tmp_path / "chinwag.env"
    shutil.copy(DEPLOY / "chinwag.env", env_file)
    instances = []
    for role, port in UNITS.items():
        text = (DEPLOY / "systemd" / f"chinwag-{role}@.service").read_text()
        assert f"chinwag serve --role {role} " in text
        # Checked as this machine can: no chinwag user or install here.
        text = (
            text.replace("/opt/chinwag/bin/chinwag", "/bin/true")
            .replace("=chinwag\n", "=root\n")
            .replace("/etc/chinwag/chinwag.env", str(env_file))
        )
        unit = tmp_path / f"chinwag-{role}@{port}.service"
        unit.write_text(text)
        instances.append(str(unit))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *instances], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
