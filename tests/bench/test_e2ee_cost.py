"""`chinwag bench e2ee` runs and reports every figure (a small group, one run)."""

from __future__ import annotations

import json

import pytest

from chinwag.bench import e2ee_cost


def test_bench_e2ee_reports(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--members", "3", "--devices", "2", "--messages", "5", "--runs", "1"]
    assert e2ee_cost.main(args) == 0
    median = json.loads(capsys.readouterr().out)["median"]
    assert median["recipients"] == 5
    assert median["share_bytes"] > 5 * 200  # one Olm-encrypted room key per device
    for key in ("share_cpu_ms", "take_key_cpu_ms", "send_cpu_us", "receive_cpu_us"):
        assert median[key] > 0
