"""`chinwag bench upload` at tiny sizes against the test server: it runs and reports
every figure (never asserting on speed)."""

from __future__ import annotations

import os

import pytest

from chinwag.bench.upload import UploadConfig, run
from tests.helpers.server import RunningServer


@pytest.mark.parametrize("store_kind", ["sqlite"])
async def test_bench_upload_reports_every_figure(server: RunningServer) -> None:
    cfg = UploadConfig(
        url=server.base_url,
        sizes_mib="1",
        rounds=1,
        images=1,
        photo_megapixels=0.3,
        concurrent=2,
        concurrent_mib=1,
        server_pid=os.getpid(),  # the test server runs in this process
    )
    result = await run(cfg)
    assert set(result["sizes"]["1MiB"]) == {"upload_MBps", "download_MBps"}
    assert result["photos_per_s"] > 0
    assert result["concurrent"]["server_rss_peak_MiB"] > 0
