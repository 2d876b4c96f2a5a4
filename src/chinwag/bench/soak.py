"""`chinwag bench soak`: a long mixed workload with random client disconnects.

Pairs chat 1:1 and everyone also talks in one group, at a steady offered rate, for
`--duration` seconds, while a chaos task cuts a random device's socket every
`--drop-every` seconds. Every device is a `chinwag.client.ChatSession`, which resends
unacknowledged messages and resumes from its cursor, exactly as real clients do. At the
end every device must hold exactly the messages stored in each of its channels, once
each, in order; and the server's memory, sampled all along, must be flat after warm-up
(its growth past the first fifth of the run is reported in MiB per minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from chinwag.bench import flags
from chinwag.client import ApiClient, ChatSession, MessageEvent, SessionOptions


@dataclass
class SoakConfig:
    url: str = "http://127.0.0.1:8080"
    duration: float = 600.0
    pairs: int = 20
    rate: float = 200.0
    group_every: int = 5
    drop_every: float = 2.0
    sample_every: float = 5.0
    server_pid: int = 0
    prefix: str = ""


@dataclass
class SoakResult:
    sent: int = 0
    drops: int = 0
    lost: int = 0
    duplicated: int = 0
    disordered: int = 0
    rss_mib: list[tuple[float, float]] = field(default_factory=list)
    growth_mib_per_min: float | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.disordered == 0


@dataclass
class _Device:
    api: ApiClient
    session: ChatSession
    seen: dict[str, list[int]] = field(default_factory=dict)


async def _consume(device: _Device) -> None:
    async for event in device.session.events():
        if isinstance(event, MessageEvent):
            m = event.message
            device.seen.setdefault(m.channel_id, []).append(m.message_id)


async def _setup(cfg: SoakConfig) -> tuple[list[_Device], list[str], str]:
    prefix = cfg.prefix or f"soak{random.randrange(1 << 30):x}"
    apis = []
    for i in range(cfg.pairs * 2):
        api = ApiClient(cfg.url)
        name = f"{prefix}_{i}"
        await api.signup(name, "soak-password-1")
        await api.login(name, "soak-password-1", "soak")
        await api.update_me(group_adds="anyone")  # one group of them all, not all friends
        apis.append(api)
    channels = []
    me = [await api.me() for api in apis]
    for p in range(cfg.pairs):
        a, b = apis[2 * p], apis[2 * p + 1]
        req = await a.request_friend(me[2 * p + 1].id)
        await b.accept_friend(req.id)
        channels.append((await a.open_direct(me[2 * p + 1].id)).id)
    group = (await apis[0].create_group("soak", [u.id for u in me[1:]])).id
    options = SessionOptions(backoff_initial=0.05, backoff_max=1.0)
    devices = [_Device(api, ChatSession(api, options=options)) for api in apis]
    return devices, channels, group


def _rss(pid: int) -> float | None:
    if not pid:
        return None
    import psutil

    try:
        return float(psutil.Process(pid).memory_info().rss) / (1 << 20)
    except psutil.Error:
        return None


def _growth(samples: list[tuple[float, float]], total: float) -> float | None:
    """Least-squares slope of RSS over time after the first fifth of the run (MiB/min)."""
    pts = [(t, r) for t, r in samples if t >= total / 5]
    if len(pts) < 3:
        return None
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mr = sum(r for _, r in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    if var == 0:
        return None
    return 60 * sum((t - mt) * (r - mr) for t, r in pts) / var


async def run_soak(cfg: SoakConfig, progress: bool = True) -> SoakResult:
    devices, channels, group = await _setup(cfg)
    result = SoakResult()
    for d in devices:
        d.session.start()
    consumers = [asyncio.create_task(_consume(d)) for d in devices]
    for d in devices:
        await d.session.wait_connected()
    rng = random.Random(7)
    start = time.monotonic()
    stop = start + cfg.duration
    senders = [devices[2 * p] for p in range(cfg.pairs)]
    interval = len(senders) / cfg.rate

    async def send_loop(n: int, device: _Device) -> None:
        i = 0
        next_at = time.monotonic() + rng.random() * interval
        while time.monotonic() < stop:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            target = group if i % cfg.group_every == cfg.group_every - 1 else channels[n]
            await device.session.send(target, f"soak {n} {i}")
            result.sent += 1
            i += 1

    async def chaos() -> None:
        while time.monotonic() < stop:
            await asyncio.sleep(cfg.drop_every)
            rng.choice(devices).session.drop_connection()
            result.drops += 1

    async def sample() -> None:
        while True:
            rss = _rss(cfg.server_pid)
            t = time.monotonic() - start
            if rss is not None:
                result.rss_mib.append((round(t, 1), round(rss, 1)))
            if progress:
                print(f"soak t={t:6.0f}s sent={result.sent} drops={result.drops} rss={rss}",
                      file=sys.stderr, flush=True)  # fmt: skip
            await asyncio.sleep(cfg.sample_every)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(chaos(), *(send_loop(n, d) for n, d in enumerate(senders)))
    await _settle(devices, channels, group, result)
    result.seconds = time.monotonic() - start
    sampler.cancel()
    result.growth_mib_per_min = _growth(result.rss_mib, cfg.duration)
    for task in consumers:
        task.cancel()
    for d in devices:
        with contextlib.suppress(Exception):
            await d.session.close()
        await d.api.aclose()
    return result


async def _settle(
    devices: list[_Device], channels: list[str], group: str, result: SoakResult
) -> None:
    """Wait until every device holds its channels' newest message, then compare."""
    api = devices[0].api
    newest = {group: await _newest(api, group)}
    for n, channel in enumerate(channels):
        newest[channel] = await _newest(devices[2 * n].api, channel)
    membership = {i: [group, channels[i // 2]] for i in range(len(devices))}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(
            devices[i].seen.get(c, [0])[-1:] == [newest[c]] or newest[c] == 0
            for i, cs in membership.items()
            for c in cs
        ):
            break
        await asyncio.sleep(0.2)
    for i, cs in membership.items():
        for c in cs:
            got = devices[i].seen.get(c, [])
            result.duplicated += len(got) - len(set(got))
            result.disordered += sum(1 for x, y in itertools.pairwise(got) if y < x)
            result.lost += len(set(range(1, newest[c] + 1)) - set(got))


async def _newest(api: ApiClient, channel: str) -> int:
    page = await api.history(channel, limit=1)
    return page[-1].message_id if page else 0


def main(argv: list[str] | None = None) -> int:
    cfg, out = flags.parse(SoakConfig, "chinwag bench soak", __doc__, argv)
    result = asyncio.run(run_soak(cfg))
    summary: dict[str, Any] = {**asdict(result), "ok": result.ok, "config": asdict(cfg)}
    if out:
        with open(out, "w") as f:
            json.dump(summary, f, indent=2)
    print(
        f"soak: {result.sent} messages over {result.seconds:.0f} s, {result.drops} forced"
        f" disconnects; lost {result.lost}, duplicated {result.duplicated}, out of order"
        f" {result.disordered}; server RSS growth after warm-up:"
        f" {result.growth_mib_per_min} MiB/min -> {'OK' if result.ok else 'FAILURE'}"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
