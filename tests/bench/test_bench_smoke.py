"""`chinwag bench` end to end at tiny sizes against the real test server.

The server runs in the test's event loop, so the bench runs in-process (`procs=1`)
through its async entry point. These tests check correctness (no loss, duplicate or
disorder is reported on a healthy server), never speed.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest

from chinwag.bench.cli import config_from, register
from chinwag.bench.config import BenchConfig
from chinwag.bench.report import Result, latencies_of, summary
from chinwag.bench.run import run_workload
from tests.helpers.server import RunningServer

SMALL_GROUP_LIMIT = 4


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The bench sends far above the default per-user rate; a small fan-out-on-write limit
    # lets a 6-member group exercise fan-out on read (cursor null).
    return {
        "sends_per_user_per_sec": 100_000.0,
        "send_burst": 100_000,
        "small_group_limit": SMALL_GROUP_LIMIT,
    }


def _config(server: RunningServer, workload: str, **sizes: Any) -> BenchConfig:
    return BenchConfig(
        workload=workload,
        url=server.base_url,
        procs=1,
        source_addrs=("127.0.0.1", "127.0.0.2"),
        progress=False,
        timeout=30.0,
        **sizes,
    )


async def _run(cfg: BenchConfig) -> Result:
    result, finals = await run_workload(cfg)
    assert result.ok, summary(result)
    checks = result.checks
    assert checks.lost == checks.duplicated == checks.out_of_order == 0
    assert checks.cursor_gaps == checks.cursor_duplicates == checks.cursor_out_of_order == 0
    assert checks.unacked == checks.connect_failures == checks.unexpected_closes == 0
    assert not checks.errors
    assert len(latencies_of(finals)) == result.latency_ms.count
    return result


async def test_pairs(server: RunningServer) -> None:
    result = await _run(_config(server, "pairs", pairs=4, messages=50, window=4))
    assert result.sent == result.acked == result.delivered == 200
    assert result.latency_ms.count == 200


async def test_pairs_duplex_window_1(server: RunningServer) -> None:
    result = await _run(_config(server, "pairs", pairs=2, messages=30, duplex=True))
    assert result.acked == result.delivered == 120


async def test_rate(server: RunningServer) -> None:
    result = await _run(_config(server, "rate", pairs=4, rate=400.0, duration=0.5))
    assert result.acked == result.delivered == 200


async def test_small_group(server: RunningServer) -> None:
    cfg = _config(server, "group", group_size=3, senders=2, messages=20, window=2)
    result = await _run(cfg)
    assert result.acked == 40
    assert result.delivered == 40 * 2  # each message reaches the two other members


async def test_large_group_fans_out_on_read(server: RunningServer) -> None:
    cfg = _config(server, "group", group_size=SMALL_GROUP_LIMIT + 2, messages=25)
    result = await _run(cfg)
    assert result.acked == 25
    assert result.delivered == 25 * (SMALL_GROUP_LIMIT + 1)


async def test_reconnect(server: RunningServer) -> None:
    cfg = _config(server, "reconnect", devices=10, missed=5, group_size=SMALL_GROUP_LIMIT)
    result = await _run(cfg)
    assert result.extra["devices_synced"] == 10
    # Every device got exactly what it missed (a failed check makes all_exact_s -1), and
    # each one's sync was timed.
    assert result.ok and result.checks.lost == result.checks.cursor_gaps == 0, result.checks
    assert result.extra["all_exact_s"] > 0
    assert result.latency_ms.count == 10


async def test_idle_measures_this_process(server: RunningServer) -> None:
    cfg = _config(server, "idle", connections=10, hold=0.2, server_pid=os.getpid())
    result = await _run(cfg)
    assert result.extra["connections"] == 10
    assert result.server is not None


def test_cli_flags_make_a_config() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    ns = parser.parse_args(
        ["bench", "pairs", "--url", "http://127.0.0.1:9", "--window", "16", "--source-addrs", "3"]
    )
    cfg = config_from(ns)
    assert cfg.workload == "pairs" and cfg.window == 16
    assert cfg.source_addrs == ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    assert cfg.websocket_url == "ws://127.0.0.1:9/v1/ws"
    assert cfg.heartbeat
    quiet = config_from(parser.parse_args(["bench", "idle", "--no-heartbeat"]))
    assert not quiet.heartbeat
