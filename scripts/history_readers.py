"""History readers beside a benchmark: load that a streaming replica can take off the primary.

Creates a few pairs of friends with a direct channel each and 400 messages in each, then
keeps --readers clients reading pages of 50 (newest first, then older pages at random)
through the api until it is stopped (SIGTERM or SIGINT), printing reads per second.

    .venv/bin/python scripts/history_readers.py --url http://127.0.0.1:8900 --readers 8
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import time

import httpx

from chinwag.bench.setup import Setup

PAGE = 50
MESSAGES = 400


async def prepare(url: str, channels: int) -> list[tuple[str, str]]:
    """(token, channel_id) of each channel, each with MESSAGES messages."""
    prefix = f"hr{random.randrange(1 << 30):x}"
    async with Setup(url, 16, "reader-password") as setup:
        users = await setup.users(prefix, 2 * channels)
        pairs = [(users[2 * n], users[2 * n + 1]) for n in range(channels)]
        ids = await setup.directs(pairs)
        for (a, _), cid in zip(pairs, ids, strict=True):
            for n in range(MESSAGES):
                await setup.post(a, cid, f"h{n}", f"history message {n}")
        return [(a.token, cid) for (a, _), cid in zip(pairs, ids, strict=True)]


async def reader(url: str, targets: list[tuple[str, str]], stop: asyncio.Event, count: list[int]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while not stop.is_set():
            token, cid = random.choice(targets)
            params = {"limit": PAGE}
            if random.random() < 0.5:
                params["before"] = random.randrange(PAGE, MESSAGES)
            r = await http.get(
                f"/v1/channels/{cid}/messages",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            count[0] += 1


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--readers", type=int, default=8)
    p.add_argument("--channels", type=int, default=4)
    ns = p.parse_args()
    targets = await prepare(ns.url, ns.channels)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    count = [0]
    tasks = [asyncio.create_task(reader(ns.url, targets, stop, count)) for _ in range(ns.readers)]
    started, last = time.monotonic(), 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5)
        except TimeoutError:
            pass
        print(f"history reads: {(count[0] - last) / 5:,.0f}/s", flush=True)
        last = count[0]
    await asyncio.gather(*tasks, return_exceptions=True)
    total = time.monotonic() - started
    print(f"history reads: {count[0]} in {total:.1f} s, {count[0] / total:,.0f}/s", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
