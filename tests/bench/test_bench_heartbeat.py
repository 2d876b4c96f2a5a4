"""Bench devices heartbeat as clients do, so a device that only receives stays online.

Without heartbeats every receiving device of a run longer than the server's presence
timeout went offline mid-run, and the server did push work for each message it got from
then on: a different workload from the one the bench names.
"""

from __future__ import annotations

from typing import Any

import pytest

from chinwag.bench.config import BenchConfig
from chinwag.bench.run import run_workload
from tests.helpers.server import RunningServer

TIMEOUT = 0.5  # the server's presence timeout; the run lasts several of them


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "sends_per_user_per_sec": 100_000.0,
        "send_burst": 100_000,
        "heartbeat_interval": 0.1,
        "presence_timeout": TIMEOUT,
        # Long enough that the clean closes at the end of the run change nothing yet.
        "presence_grace": 60.0,
    }


async def _presence_changes(server: RunningServer, heartbeat: bool) -> int:
    cfg = BenchConfig(
        workload="rate",
        url=server.base_url,
        procs=1,
        pairs=2,
        rate=20.0,
        duration=4 * TIMEOUT,
        source_addrs=("127.0.0.1",),
        progress=False,
        heartbeat=heartbeat,
    )
    presence = server.app.services.presence
    before = presence.changes
    result, _ = await run_workload(cfg)
    assert result.ok and result.delivered == result.acked > 0
    return presence.changes - before


async def test_receiving_devices_stay_online(server: RunningServer) -> None:
    # Four users came online; none went offline during the run.
    assert await _presence_changes(server, heartbeat=True) == 4


async def test_without_heartbeats_receivers_go_offline(server: RunningServer) -> None:
    # The two users who only receive went offline mid-run (and the senders did not).
    assert await _presence_changes(server, heartbeat=False) == 6
