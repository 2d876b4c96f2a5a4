"""Opening and closing a shard's many sockets.

A fixed pool of `connect_concurrency` workers walks the device list (rather than one task
per device all at once), so a 10,000-device reconnect storm stays within the server's
listen backlog and the client's memory while still arriving as fast as it is accepted.
"""

from __future__ import annotations

import asyncio
import resource
import zlib
from collections.abc import Sequence

from chinwag.bench.device import BenchDevice
from chinwag.bench.specs import ShardPlan
from chinwag.bench.tally import Tally

# Idle sockets get a small picows read buffer so the client can hold many of them.
IDLE_READ_BUFFER = 2048
BUSY_READ_BUFFER = 16384


def raise_open_files_limit() -> None:
    """Use the whole hard limit: a shard may hold thousands of sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def open_all(
    devices: Sequence[BenchDevice], plan: ShardPlan, tally: Tally, *, resume: bool
) -> int:
    """Open every device's socket, `connect_concurrency` at a time; how many failed."""
    cfg = plan.config
    urls = cfg.websocket_urls
    read_buffer = cfg.read_buffer or (IDLE_READ_BUFFER if plan.mode == "idle" else BUSY_READ_BUFFER)
    failures = 0
    next_index = 0

    async def worker() -> None:
        nonlocal failures, next_index
        while next_index < len(devices):
            device = devices[next_index]
            # Users are spread over the gateways by a hash of their id, so in a cluster
            # most conversations cross gateways (2 in 3 with three of them).
            url = urls[zlib.crc32(device.spec.user_id.encode()) % len(urls)]
            next_index += 1
            try:
                await device.open(url, device.spec.source, resume, read_buffer, cfg.timeout)
            except Exception as exc:  # any failure to connect is counted, never fatal
                failures += 1
                tally.connect_failures += 1
                tally.note(f"connect failed from {device.spec.source or 'any'}: {exc!r}")

    width = max(1, min(cfg.connect_concurrency, len(devices)))
    await asyncio.gather(*(worker() for _ in range(width)))
    return failures


async def close_all(devices: Sequence[BenchDevice]) -> None:
    await asyncio.gather(*(d.close() for d in devices))
