"""`chinwag bench search` at a tiny size on both engines: it fills, searches and reports
(never asserts on speed)."""

from __future__ import annotations

from pathlib import Path

from chinwag.bench.search import Plan, run
from chinwag.config import Settings


async def test_bench_search_runs(store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"), store=store_url)
    plan = Plan(messages=400, users=20, groups=10, group_size=4, queries=20, seed=3)
    report = await run(settings, plan, 0)
    latency = report["latency"]
    assert isinstance(latency, dict)
    assert set(latency) == {"own-two", "own-one", "rare-two", "one-word", "cjk-2"}
    # Queries from the callers' own conversations always find something.
    assert latency["own-two"]["mean_results"] >= 1 and latency["own-one"]["mean_results"] >= 1
    again = await run(settings, plan, 0)  # the fill is reused, not written twice
    assert again["latency"]["own-two"]["mean_results"] == latency["own-two"]["mean_results"]
