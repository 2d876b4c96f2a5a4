"""The NATS bus, the gateway registry and cluster presence against a real nats-server of
the test's own (random port, JetStream on disk): no mocks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from chinwag.bus.base import ChannelJoined, Control, DeviceRevoked
from chinwag.bus.nats import NatsBus
from chinwag.bus.nats_presence import NatsPresenceLink
from chinwag.discovery.nats_registry import NatsRegistry
from chinwag.discovery.registrar import Registration
from chinwag.discovery.service import Discovery, GatewayInfo
from chinwag.presence.cluster import ClusterPresence
from tests.cluster.nats_server import NatsServer
from tests.helpers.wait import wait_for


@pytest.fixture
async def buses(nats_server: NatsServer) -> AsyncIterator[list[NatsBus]]:
    made = [NatsBus(nats_server.url, name=f"test{i}") for i in range(3)]
    for bus in made:
        await bus.start()
    try:
        yield made
    finally:
        for bus in made:
            await bus.close()


class Sink:
    def __init__(self) -> None:
        self.users: list[tuple[str, bytes, int]] = []
        self.channels: list[tuple[str, bytes]] = []
        self.controls: list[tuple[str, Control]] = []

    def deliver_user(self, user_id: str, data: bytes, seq: int, sender: str = "") -> None:
        self.users.append((user_id, data, seq))

    def deliver_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        self.channels.append((channel_id, data))

    def control(self, user_id: str, event: Control) -> None:
        self.controls.append((user_id, event))


async def subscribed(bus: NatsBus) -> None:
    """Until the watch_* calls so far are in effect at the server."""
    await wait_for(lambda: not bus._settling)
    await bus.client.flush()


async def test_routes_only_to_the_gateway_watching(buses: list[NatsBus]) -> None:
    api, gw1, gw2 = buses
    s1, s2 = Sink(), Sink()
    gw1.attach(s1)
    gw2.attach(s2)
    gw1.watch_user("ua")
    gw2.watch_user("ub")
    gw2.watch_channel("cbig")
    await subscribed(gw1)
    await subscribed(gw2)
    api.to_user("ua", b"one", 1)
    api.to_user("ua", b"two", 2)
    api.to_users(["ua", "ub", "unobody"], b"presence")
    api.to_channel("cbig", b"big")
    api.control("ua", DeviceRevoked("d1"))
    api.control("ub", ChannelJoined("c9", True))
    await wait_for(lambda: len(s1.users) == 3 and len(s1.controls) == 1)
    await wait_for(lambda: len(s2.users) == 1 and bool(s2.channels) and bool(s2.controls))
    # Frames without a seq are not held back behind the first message frame.
    assert sorted(s1.users, key=lambda u: u[2]) == [
        ("ua", b"presence", 0),
        ("ua", b"one", 1),
        ("ua", b"two", 2),
    ]
    assert s1.controls == [("ua", DeviceRevoked("d1"))] and not s1.channels
    assert s2.users == [("ub", b"presence", 0)] and s2.channels == [("cbig", b"big")]
    assert s2.controls == [("ub", ChannelJoined("c9", True))]
    # Unwatched: nothing more arrives.
    gw1.unwatch_user("ua")
    await subscribed(gw1)
    api.to_user("ua", b"three", 3)
    api.to_user("ub", b"marker", 1)
    await wait_for(lambda: len(s2.users) == 2)
    await api.client.flush()
    await gw1.client.flush()
    assert len(s1.users) == 3
    assert api.stats.dropped == 0


async def test_frames_reach_the_sink_as_published(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    # Ordering is the gateway's (tests/unit/test_session_ordering.py): the bus adds no
    # waiting, so a frame ahead of a gap is not held back.
    publisher, gw = buses[0], buses[1]
    sink = Sink()
    gw.attach(sink)
    gw.watch_user("u")
    await subscribed(gw)
    publisher.to_user("u", b"2", 2)
    publisher.to_user("u", b"1", 1)
    await wait_for(lambda: len(sink.users) == 2)
    assert [seq for _, _, seq in sink.users] == [2, 1]


async def test_push_events_reach_one_worker(buses: list[NatsBus]) -> None:
    api, w1, w2 = buses
    got: list[tuple[str, bytes]] = []
    w1.on_push(lambda data: got.append(("w1", data)))
    w2.on_push(lambda data: got.append(("w2", data)))
    await subscribed(w1)
    await subscribed(w2)
    for i in range(20):
        api.push(str(i).encode())
    await wait_for(lambda: len(got) == 20)
    # Whatever the server routed to either worker has reached it after these round trips:
    # twenty messages in all, so none went to both.
    await api.client.flush()
    await w1.client.flush()
    await w2.client.flush()
    assert w1.client.stats["in_msgs"] + w2.client.stats["in_msgs"] == 20
    assert sorted(int(d) for _, d in got) == list(range(20))


async def test_publishing_never_blocks_nor_raises(nats_server: NatsServer) -> None:
    bus = NatsBus(nats_server.url, max_queue_bytes=10_000)
    bus.to_user("u", b"before start")
    await bus.start()
    for _ in range(100):
        bus.to_user("u", b"x" * 1000, 1)  # far past the queue's bound, all at once
    assert bus.stats.dropped >= 90
    await bus.close()
    bus.to_user("u", b"after close")
    assert bus.stats.dropped >= 92


async def test_subscriptions_survive_a_nats_restart(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    api, gw, _ = buses
    sink = Sink()
    gw.attach(sink)
    gw.watch_user("u")
    await subscribed(gw)
    await nats_server.restart()
    await wait_for(lambda: api.connected and gw.connected and gw.stats.reconnects >= 1, 15)

    def arrived() -> bool:
        api.to_user("u", b"again", 0)
        return bool(sink.users)

    await wait_for(arrived, timeout=10, step=0.1)


async def test_registry_entries_expire_and_deregister(buses: list[NatsBus]) -> None:
    api, gw1, gw2 = buses
    reader = NatsRegistry(api.client, ttl=1.0, staleness=0.0)
    await reader.start()
    w1 = NatsRegistry(gw1.client, ttl=1.0)
    w2 = NatsRegistry(gw2.client, ttl=1.0)
    await w1.start()
    await w2.start()
    load = {"g1": 10, "g2": 2}

    def info(gateway_id: str) -> GatewayInfo:
        return GatewayInfo(gateway_id, f"ws://{gateway_id}/v1/ws", "eu", load[gateway_id], 10)

    r1 = Registration(w1, lambda: info("g1"), every=0.3)
    r2 = Registration(w2, lambda: info("g2"), every=0.3)
    await r1.start()
    await r2.start()
    discovery = Discovery(reader, "eu")
    assert sorted(g.id for g in await reader.gateways()) == ["g1", "g2"]
    assert [g.id for g in await discovery.best()] == ["g2"]  # g1 is at capacity
    load["g1"] = 1

    async def ranked(want: list[str]) -> bool:
        return [g.id for g in await discovery.best()] == want

    await wait_for(lambda: ranked(["g1", "g2"]), timeout=5)
    # g1 stops refreshing (as if killed): its entry is gone within the TTL.
    assert r1._task is not None
    r1._task.cancel()
    started = time.monotonic()
    await wait_for(lambda: ranked(["g2"]), timeout=5)
    assert time.monotonic() - started < 2.0
    # g2 stops on purpose: gone at once.
    await r2.stop()
    assert await reader.gateways() == []


async def test_registry_answers_from_its_last_read_when_nats_is_away(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    reader = NatsRegistry(buses[0].client, ttl=5.0, staleness=0.0)
    writer = NatsRegistry(buses[1].client, ttl=5.0)
    await writer.start()
    await writer.register(GatewayInfo("g1", "ws://g1", "eu", 0, 10))
    assert [g.id for g in await reader.gateways()] == ["g1"]
    await nats_server.stop()
    assert [g.id for g in await reader.gateways()] == ["g1"]
    await nats_server.start()


async def test_cluster_presence(buses: list[NatsBus]) -> None:
    timeout = 1.0
    heard: list[tuple[str, str, bool]] = []

    def member(bus: NatsBus, gateway_id: str | None) -> ClusterPresence:
        def announce(user_id: str, online: bool) -> None:
            heard.append((gateway_id or "api", user_id, online))

        return ClusterPresence(
            NatsPresenceLink(bus, gateway_id), gateway_id, timeout, announce, time.monotonic
        )

    api, g1, g2 = member(buses[0], None), member(buses[1], "g1"), member(buses[2], "g2")
    for m in (g1, g2, api):
        await m.start()
    users = [f"u{i}" for i in range(40)]
    for u in users:
        g1.local_changed(u, True)
    g2.local_changed("u0", True)  # also on g2: no second announcement
    await wait_for(lambda: all(api.is_online(u) and g2.is_online(u) for u in users))
    await wait_for(lambda: len(heard) == len(users))
    assert sorted(u for _, u, online in heard if online) == sorted(users)
    assert {who for who, _, _ in heard} == {"g1", "g2"}  # shared by ownership
    # A process that starts later learns the whole picture from snapshots.
    late = member(buses[0], None)
    await late.start()
    assert all(late.is_online(u) for u in users)
    await late.close()
    # g1 dies (stops beating): its users go offline within the timeout, except u0.
    heard.clear()
    died = time.monotonic()
    await g1.close()
    await wait_for(lambda: not api.is_online("u1"), timeout=5)
    assert time.monotonic() - died < timeout + 1.0
    await wait_for(lambda: len(heard) == len(users) - 1)
    assert api.is_online("u0") and g2.is_online("u0")
    assert heard and all(who == "g2" and not online for who, _, online in heard)
    assert sorted(u for _, u, _ in heard) == sorted(users[1:])
    await g2.close()
    await api.close()
