"""History readers: load that a streaming replica can take off the primary.

Creates --channels pairs of friends with a direct channel each and --messages messages in
each, then --readers clients read pages of 50 through the api (half the newest page, half
an older page at random):

* with --reads N: N reads as fast as they go, then a summary: reads per second and, for
  each --cpu NAME=PID[+PID...] (as in `chinwag bench`), CPU microseconds per read;
* without: until stopped (SIGTERM or SIGINT), printing reads per second every 5 s, as
  load beside a benchmark.

    .venv/bin/python scripts/history_readers.py --url http://127.0.0.1:8900 --reads 20000 \\
        --cpu postgres=<postmaster pid> --cpu replica=<replica postmaster pid>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import time
from collections.abc import Callable

import httpx

from chinwag.bench.monitor import parse_cpu_groups
from chinwag.bench.setup import Setup

PAGE = 50


async def prepare(url: str, channels: int, messages: int) -> list[tuple[str, str]]:
    """(token, channel_id) of each channel, each with `messages` messages."""
    prefix = f"hr{random.randrange(1 << 30):x}"
    async with Setup(url, 16, "reader-password") as setup:
        users = await setup.users(prefix, 2 * channels)
        pairs = [(users[2 * n], users[2 * n + 1]) for n in range(channels)]
        ids = await setup.directs(pairs)

        async def fill(sender: object, cid: str) -> None:
            for n in range(messages):
                await setup.post(sender, cid, f"h{n}", f"history message {n}")  # type: ignore[arg-type]

        await asyncio.gather(*(fill(a, cid) for (a, _), cid in zip(pairs, ids, strict=True)))
        return [(a.token, cid) for (a, _), cid in zip(pairs, ids, strict=True)]


async def reader(
    url: str,
    targets: list[tuple[str, str]],
    messages: int,
    more: Callable[[], bool],
    count: list[int],
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while more():
            token, cid = random.choice(targets)
            params = {"limit": PAGE}
            if random.random() < 0.5:
                params["before"] = random.randrange(PAGE, messages)
            r = await http.get(
                f"/v1/channels/{cid}/messages",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            count[0] += 1


async def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", required=True)
    p.add_argument("--readers", type=int, default=8)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--messages", type=int, default=400, help="messages per channel")
    p.add_argument("--reads", type=int, default=0, help="read this many pages, then stop")
    p.add_argument("--cpu", action="append", default=[], metavar="NAME=PID[+PID...]")
    ns = p.parse_args()
    groups = parse_cpu_groups(tuple(ns.cpu))
    targets = await prepare(ns.url, ns.channels, ns.messages)
    count = [0]
    stop = asyncio.Event()
    if ns.reads:
        issued = [0]

        def more() -> bool:
            issued[0] += 1
            return issued[0] <= ns.reads

        for g in groups:
            g.begin()
        started = time.monotonic()
        await asyncio.gather(
            *(reader(ns.url, targets, ns.messages, more, count) for _ in range(ns.readers))
        )
        wall = time.monotonic() - started
        line = f"history reads: {count[0]} in {wall:.1f} s, {count[0] / wall:,.0f}/s"
        for g in groups:
            used = g.end()
            line += f"; {g.name} {100 * used / wall:.0f}% of a core,"
            line += f" {1e6 * used / count[0]:.1f} us/read"
        print(line, flush=True)
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [
        asyncio.create_task(reader(ns.url, targets, ns.messages, lambda: not stop.is_set(), count))
        for _ in range(ns.readers)
    ]
    last = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)
        print(f"history reads: {(count[0] - last) / 5:,.0f}/s", flush=True)
        last = count[0]
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
