"""Who does what in each workload: users, channels and senders, then split into shards.

Runs in the coordinator, before any measurement: it creates everything over HTTP (see
`setup`) and returns plain device specs. Devices are dealt to shards round-robin, and to
source addresses round-robin, so each process and each address gets an even share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chinwag.bench.config import BenchConfig
from chinwag.bench.setup import BenchUser, Setup
from chinwag.bench.specs import DeviceSpec, SendSpec, ShardPlan

OPEN_LOOP_WINDOW = 1 << 30  # open-loop senders are paced by time, not by acks


@dataclass
class Prepared:
    """A workload ready to run: its devices, and what to post while they are away."""

    mode: str
    devices: list[DeviceSpec]
    description: str
    backlog: list[tuple[BenchUser, str]] = field(default_factory=list)


def _device(user: BenchUser, channels: list[str], send: SendSpec | None = None) -> DeviceSpec:
    return DeviceSpec(user.id, user.token, channels, send)


async def prepare(cfg: BenchConfig, setup: Setup) -> Prepared:
    prefix = cfg.user_prefix
    if cfg.workload in ("pairs", "rate"):
        return await _pairs(cfg, setup, prefix)
    if cfg.workload == "idle":
        users = await setup.users(prefix, cfg.connections)
        return Prepared(
            "idle", [_device(u, []) for u in users], f"{cfg.connections} idle connections"
        )
    if cfg.workload == "reconnect":
        return await _reconnect(cfg, setup, prefix)
    return await _group(cfg, setup, prefix)


async def _pairs(cfg: BenchConfig, setup: Setup, prefix: str) -> Prepared:
    users = await setup.users(prefix, 2 * cfg.pairs)
    pairs = [(users[2 * i], users[2 * i + 1]) for i in range(cfg.pairs)]
    channels = await setup.directs(pairs)
    senders = cfg.pairs * (2 if cfg.duplex else 1)
    devices: list[DeviceSpec] = []
    for i, ((a, b), channel) in enumerate(zip(pairs, channels, strict=True)):
        back = _send_spec(cfg, channel, 2 * i + 1, senders) if cfg.duplex else None
        specs = [
            _device(a, [channel], _send_spec(cfg, channel, 2 * i, senders)),
            _device(b, [channel], back),
        ]
        # Alternate the order so that round-robin puts senders in every shard, and the
        # two ends of a pair in different shards whenever there are several.
        devices += specs if i % 2 == 0 else specs[::-1]
    if cfg.workload == "rate":
        what = f"{cfg.rate:,.0f} msg/s offered for {cfg.send_duration:g} s over {senders} senders"
    else:
        what = f"{cfg.messages} messages per sender, window {cfg.window}"
    return Prepared("traffic", devices, f"{cfg.pairs} pairs ({senders} senders), {what}")


def _send_spec(cfg: BenchConfig, channel: str, k: int, senders: int) -> SendSpec:
    if cfg.workload != "rate":
        return SendSpec(channel, cfg.messages, cfg.window)
    per_sender = cfg.rate / senders
    interval = int(1e9 / per_sender)
    count = int(per_sender * cfg.send_duration)
    # Spread the senders' first sends over one interval so the offered load is smooth.
    order = k // 2 if not cfg.duplex else k
    return SendSpec(channel, count, OPEN_LOOP_WINDOW, interval, order * interval // senders)


def _chunks(users: Sequence[BenchUser], size: int) -> list[list[BenchUser]]:
    return [list(users[i : i + size]) for i in range(0, len(users), size)]


async def _reconnect(cfg: BenchConfig, setup: Setup, prefix: str) -> Prepared:
    users = await setup.users(prefix, cfg.devices)
    # Groups of at most 100 fan out on write, so every member has an inbox to sync.
    members = _chunks(users, cfg.group_size)
    groups = await setup.groups(prefix, members)
    devices = [_device(u, [g]) for ms, g in zip(members, groups, strict=True) for u in ms]
    backlog = [(ms[0], g) for ms, g in zip(members, groups, strict=True)]
    return Prepared(
        "reconnect",
        devices,
        f"{len(devices)} devices in {len(groups)} groups, {cfg.missed} missed messages each",
        backlog,
    )


async def _group(cfg: BenchConfig, setup: Setup, prefix: str) -> Prepared:
    users = await setup.users(prefix, cfg.groups * cfg.group_size)
    members = _chunks(users, cfg.group_size)
    groups = await setup.groups(prefix, members)
    devices: list[DeviceSpec] = []
    for ms, g in zip(members, groups, strict=True):
        for j, u in enumerate(ms):
            send = SendSpec(g, cfg.messages, cfg.window) if j < cfg.senders else None
            devices.append(_device(u, [g], send))
    fanout = "write (inbox)" if cfg.group_size <= 100 else "read (cursor null)"
    return Prepared(
        "traffic",
        devices,
        f"{cfg.groups} group(s) of {cfg.group_size}, {cfg.senders} sender(s) each,"
        f" {cfg.messages} messages per sender, window {cfg.window}, fan-out on {fanout}",
    )


def partition(cfg: BenchConfig, prepared: Prepared) -> list[ShardPlan]:
    """Deal devices to `cfg.procs` shards and to the source addresses."""
    shards: list[list[DeviceSpec]] = [[] for _ in range(cfg.procs)]
    sources = cfg.source_addrs or ("",)
    for k, spec in enumerate(prepared.devices):
        placed = DeviceSpec(
            spec.user_id, spec.token, spec.channels, spec.send, sources[k % len(sources)], f"d{k}"
        )
        shards[k % cfg.procs].append(placed)
    return [
        ShardPlan(i, prepared.mode, cfg, devices) for i, devices in enumerate(shards) if devices
    ]
