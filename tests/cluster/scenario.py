"""A chat scenario spread over a cluster: users, channels, traffic, and the exactness check.

Five users, each with a device on a chosen gateway: a 1:1 channel, a small group (fan-out
on write, inbox cursors) and a large group (fan-out on read), with senders on different
gateways so that frames for one user come from several publishers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.cluster.device import Device
from tests.cluster.nodes import Cluster
from tests.helpers import api


@dataclass
class Scenario:
    http: httpx.AsyncClient
    users: list[api.TestUser]
    direct: str
    small: str
    large: str
    devices: list[Device] = field(default_factory=list)

    @property
    def channels(self) -> dict[str, list[int]]:
        """channel -> indexes of its members in `users`."""
        return {self.direct: [0, 1], self.small: [0, 1, 2], self.large: [0, 1, 2, 3, 4]}

    def member_of(self, device: Device) -> list[str]:
        i = next(n for n, u in enumerate(self.users) if u.id == device.user.id)
        return [c for c, members in self.channels.items() if i in members]


async def build(http: httpx.AsyncClient) -> Scenario:
    users = [await api.signup(http) for _ in range(5)]
    await api.open_to_groups(http, *users)
    a, b, c, d, e = users
    for friend in (b, c):
        await api.befriend(http, a, friend)
    direct = await api.direct(http, a, b)
    small = await _group(http, a, "small", [b, c])
    large = await _group(http, a, "large", [b, c, d, e])
    return Scenario(http, users, direct, small, large)


async def _group(
    http: httpx.AsyncClient, owner: api.TestUser, name: str, members: list[api.TestUser]
) -> str:
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": name, "member_ids": [m.id for m in members]},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["large"] is (len(members) + 1 > 3), body
    channel_id: str = body["id"]
    return channel_id


async def connect_spread(s: Scenario, cluster: Cluster, api_url: str) -> None:
    """Device i of user i on gateway i % n, plus a second device of user 0 elsewhere."""
    gateways = cluster.gateways
    placements = [(u, gateways[i % len(gateways)]) for i, u in enumerate(s.users)]
    placements.append((s.users[0], gateways[1 % len(gateways)]))
    for n, (user, node) in enumerate(placements):
        device_user = user if n < len(s.users) else await api.login(s.http, user.username)
        device = Device(device_user, api_url, f"d{n}")
        await device.connect(node.ws_url)
        s.devices.append(device)


class Traffic:
    """Every sender sends into its channels every `pace` seconds until stopped."""

    def __init__(self, s: Scenario, pace: float = 0.01) -> None:
        self.s = s
        self.pace = pace
        self.sent = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        s = self.s
        plan = [(d, c) for d in s.devices for c in s.member_of(d)]
        while True:
            for device, channel in plan:
                device.send(channel, f"{device.name} says {self.sent}")
                self.sent += 1
            await asyncio.sleep(self.pace)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def all_history(http: httpx.AsyncClient, user: api.TestUser, channel: str) -> list[int]:
    ids: list[int] = []
    while True:
        page = await api.history(http, user, channel, after=ids[-1] if ids else 0, limit=200)
        if not page:
            return ids
        ids.extend(int(m["message_id"]) for m in page)


async def check_exact(s: Scenario) -> None:
    """Every device holds every stored message of its channels exactly once, each
    channel in message_id order, and history itself is gapless; every send acked once."""
    for device in s.devices:
        await device.settle()
    history = {c: await all_history(s.http, s.users[0], c) for c in s.channels}
    for channel, ids in history.items():
        assert ids == list(range(1, len(ids) + 1)), f"history of {channel} has gaps"
    for device in s.devices:
        await device.sync()
        # Large groups are fan-out on read: opening one reads what the bus did not bring.
        await device.catch_up(s.large, history[s.large][-1] if history[s.large] else 0)
    for device in s.devices:
        inbox: dict[str, list[int]] = {}
        for m in device.processed:
            inbox.setdefault(m["channel_id"], []).append(m["message_id"])
        for channel in s.member_of(device):
            got = inbox.get(channel) if channel != s.large else _ids(device.large.get(channel))
            kind = "large" if channel == s.large else "inbox"
            assert got == history[channel], (
                f"{device.name} in {kind} {channel}: {len(got or [])} of {len(history[channel])}"
                f" messages, first difference at {_first_difference(got or [], history[channel])}"
            )
        assert device.cursor == len(device.processed)
        assert not device.errors, device.errors[:3]
    acked = [m for d in s.devices for m in d.acked.values()]
    assert len(acked) == sum(len(ids) for ids in history.values())


def _ids(messages: list[dict[str, Any]] | None) -> list[int]:
    return [int(m["message_id"]) for m in messages or []]


def _first_difference(got: list[int], want: list[int]) -> int | None:
    for i, (x, y) in enumerate(zip(got, want, strict=False)):
        if x != y:
            return i
    return None if len(got) == len(want) else min(len(got), len(want))
