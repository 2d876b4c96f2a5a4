"""Tiny runs of the soak and presence benchmarks: they run, and the soak finds every
message exactly once despite forced disconnects. No assertion on speed."""

from __future__ import annotations

import pytest

from chinwag.bench.presence_cost import PresenceConfig, run_presence
from chinwag.bench.soak import SoakConfig, run_soak
from tests.helpers.server import RunningServer


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"presence_grace": 0.1}


async def test_soak_smoke(server: RunningServer) -> None:
    cfg = SoakConfig(
        url=server.base_url, duration=3, pairs=2, rate=40, drop_every=0.5, sample_every=1
    )
    result = await run_soak(cfg, progress=False)
    assert result.sent > 50 and result.drops >= 3
    assert (result.lost, result.duplicated, result.disordered) == (0, 0, 0)


async def test_presence_smoke(server: RunningServer) -> None:
    result = await run_presence(PresenceConfig(url=server.base_url, friends=5, toggles=2))
    assert result["changes"] == 4 and result["frames_delivered"] == 20
