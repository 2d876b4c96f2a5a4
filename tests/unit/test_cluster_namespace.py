"""Two clusters on one NATS server, told apart by their cluster names: neither sees the
other's frames, push events, presence or gateways."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from chinwag.bus.nats import NatsBus
from chinwag.bus.nats_presence import NatsPresenceLink
from chinwag.bus.subjects import Subjects
from chinwag.config import Settings
from chinwag.discovery.nats_registry import NatsRegistry
from chinwag.discovery.service import GatewayInfo
from chinwag.presence.cluster import ClusterPresence
from tests.cluster.nats_server import NatsServer
from tests.helpers.wait import wait_for
from tests.unit.test_cluster_nats import Sink, subscribed


@pytest.fixture
async def blue_green(nats_server: NatsServer) -> AsyncIterator[tuple[NatsBus, NatsBus, NatsBus]]:
    made = [NatsBus(nats_server.url, subjects=Subjects(name)) for name in ("blue", "blue", "green")]
    for bus in made:
        await bus.start()
    try:
        yield made[0], made[1], made[2]
    finally:
        for bus in made:
            await bus.close()


async def test_frames_and_push_stay_in_their_cluster(
    blue_green: tuple[NatsBus, NatsBus, NatsBus],
) -> None:
    blue, blue_gw, green_gw = blue_green
    blue_sink, green_sink = Sink(), Sink()
    blue_gw.attach(blue_sink)
    green_gw.attach(green_sink)
    pushed: dict[str, list[bytes]] = {"blue": [], "green": []}
    blue_gw.on_push(pushed["blue"].append)
    green_gw.on_push(pushed["green"].append)
    for gw in (blue_gw, green_gw):
        gw.watch_user("u1")
        gw.watch_channel("c1")
        await subscribed(gw)
    blue.to_user("u1", b"one", 1)
    blue.to_channel("c1", b"big", 1)
    blue.push(b"event")
    await wait_for(lambda: len(blue_sink.users) == 1 and len(blue_sink.channels) == 1)
    await wait_for(lambda: pushed["blue"] == [b"event"])
    # A marker sent after, on green's own namespace, arrives alone.
    green_gw.to_user("u1", b"green", 1)
    await wait_for(lambda: len(green_sink.users) == 1)
    assert green_sink.users == [("u1", b"green", 1)]
    assert green_sink.channels == [] and pushed["green"] == []
    assert blue_sink.users == [("u1", b"one", 1)]


async def test_registries_and_presence_stay_in_their_cluster(
    blue_green: tuple[NatsBus, NatsBus, NatsBus],
) -> None:
    blue, blue_gw, green_gw = blue_green
    registries = [
        NatsRegistry(bus.client, ttl=5.0, staleness=0.0, bucket=bus.subjects.gateways_bucket)
        for bus in blue_green
    ]
    for r in registries:
        await r.start()
    await registries[1].register(GatewayInfo("g-blue", "ws://blue", "eu", 0, 10))
    await registries[2].register(GatewayInfo("g-green", "ws://green", "eu", 0, 10))
    assert [g.id for g in await registries[0].gateways()] == ["g-blue"]
    assert [g.id for g in await registries[2].gateways()] == ["g-green"]

    seen: list[tuple[str, str]] = []

    def member(bus: NatsBus, gateway_id: str | None, name: str) -> ClusterPresence:
        return ClusterPresence(
            NatsPresenceLink(bus, gateway_id),
            gateway_id,
            1.0,
            lambda user_id, online: seen.append((name, user_id)),
            time.monotonic,
        )

    blue_api = member(blue, None, "blue-api")
    blue_gateway = member(blue_gw, "g-blue", "blue-gw")
    green_gateway = member(green_gw, "g-green", "green-gw")
    for m in (blue_api, blue_gateway, green_gateway):
        await m.start()
    try:
        blue_gateway.local_changed("u1", True)
        await wait_for(lambda: blue_api.is_online("u1"))
        await asyncio.sleep(0.2)  # time for a leak to show
        assert not green_gateway.is_online("u1")
    finally:
        for m in (blue_api, blue_gateway, green_gateway):
            await m.close()


def test_cluster_name_must_be_one_subject_token() -> None:
    assert Subjects().gateways_bucket == "chinwag_gateways"
    for bad in ("", "a.b", "a b", "*", ">"):
        with pytest.raises(ValueError):
            Subjects(bad)
        with pytest.raises(ValueError):
            Settings(cluster_name=bad).validate()
