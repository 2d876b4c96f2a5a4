"""A gateway killed or drained mid-traffic, and NATS restarted mid-traffic: clients move
or wait, sync from their cursors, and end exact."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from tests.cluster import scenario
from tests.cluster.device import Device
from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Cluster
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


async def discovered(http: httpx.AsyncClient) -> list[str]:
    r = await http.get("/v1/discovery")
    return [g["id"] for g in r.json()["gateways"]]


async def listed(http: httpx.AsyncClient, gateway_id: str) -> bool:
    return gateway_id in await discovered(http)


async def status(http: httpx.AsyncClient, viewer: api.TestUser, user: api.TestUser) -> str:
    r = await http.get("/v1/presence", params={"user_ids": user.id}, headers=viewer.auth)
    found: str = r.json()["presence"][0]["status"]
    return found


async def is_online(http: httpx.AsyncClient, viewer: api.TestUser, user: api.TestUser) -> bool:
    return await status(http, viewer, user) == "online"


async def more_traffic(traffic: scenario.Traffic, count: int, timeout: float = 30) -> None:
    target = traffic.sent + count
    await wait_for(lambda: traffic.sent >= target, timeout=timeout)


async def test_gateway_killed_mid_traffic(cluster: Cluster, http: httpx.AsyncClient) -> None:
    s = await scenario.build(http)
    await scenario.connect_spread(s, cluster, cluster.api.base_url)
    # A friend of user 1 whose only socket is on gateway 0 and who never comes back.
    loner = await api.signup(http)
    await api.befriend(http, s.users[1], loner)
    lone_ws = await WsClient.connect(cluster.gateways[0].ws_url)
    await lone_ws.hello(loner.token)
    pinger = asyncio.create_task(_ping(lone_ws))
    await wait_for(lambda: is_online(http, s.users[1], loner), timeout=5)
    traffic = scenario.Traffic(s)
    traffic.start()
    try:
        await more_traffic(traffic, 200)
        killed_at = asyncio.get_running_loop().time()
        await cluster.gateways[0].kill9()
        pinger.cancel()

        # Its users go offline within the presence timeout (2 s), its entry expires
        # within the registry TTL (2 s) plus the api process's read interval (0.5 s).
        async def loner_offline() -> bool:
            return not await is_online(http, s.users[1], loner)

        async def gw0_gone() -> bool:
            return not await listed(http, "gw0")

        await wait_for(loner_offline, timeout=10)
        offline_after = asyncio.get_running_loop().time() - killed_at
        await wait_for(gw0_gone, timeout=10)
        expired_after = asyncio.get_running_loop().time() - killed_at
        assert offline_after < 3.0, offline_after
        assert expired_after < 3.5, expired_after

        # Its clients found other gateways through discovery, and traffic goes on.
        moved = [d for d in s.devices if d.gateways[0] == "gw0"]
        assert moved
        await wait_for(lambda: all(_live_elsewhere(d) for d in moved), timeout=15)
        await wait_for(lambda: all(d.live.is_set() for d in s.devices), timeout=15)
        await more_traffic(traffic, 200)
        await traffic.stop()
        await scenario.check_exact(s)
        friend = next(d for d in s.devices if d.user.id == s.users[1].id)
        heard = [f["status"] for f in friend.presence if f["user_id"] == loner.id]
        assert heard[-1:] == ["offline"] and heard.count("offline") == 1, heard
    finally:
        await traffic.stop()
        for d in s.devices:
            await d.close()


@pytest.mark.parametrize("cluster_settings", [{"drain_seconds": 3.0}])
async def test_drained_gateway_loses_nothing(cluster: Cluster, http: httpx.AsyncClient) -> None:
    s = await scenario.build(http)
    await scenario.connect_spread(s, cluster, cluster.api.base_url)
    traffic = scenario.Traffic(s)
    traffic.start()
    try:
        await more_traffic(traffic, 200)
        gw0 = cluster.gateways[0]
        assert gw0.proc is not None
        gw0.proc.send_signal(signal.SIGTERM)
        # Out of discovery first, while its sockets are still being closed.

        async def gw0_gone() -> bool:
            return not await listed(http, "gw0")

        await wait_for(gw0_gone, timeout=3)
        assert gw0.running
        assert await asyncio.wait_for(gw0.proc.wait(), 30) == 0
        moved = [d for d in s.devices if d.gateways[0] == "gw0"]
        assert moved
        # A client notices its socket closed a moment after the gateway has gone.
        await wait_for(lambda: all(_live_elsewhere(d) for d in moved), timeout=15)
        await wait_for(lambda: all(d.live.is_set() for d in s.devices), timeout=15)
        assert [d.closes[:1] for d in moved] == [[1001]] * len(moved), [
            (d.name, d.closes, d.gateways) for d in moved
        ]
        await more_traffic(traffic, 200)
        await traffic.stop()
        await scenario.check_exact(s)
    finally:
        await traffic.stop()
        for d in s.devices:
            await d.close()


async def test_nats_restart_mid_traffic(
    cluster: Cluster, http: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    s = await scenario.build(http)
    await scenario.connect_spread(s, cluster, cluster.api.base_url)
    traffic = scenario.Traffic(s)
    traffic.start()
    try:
        await more_traffic(traffic, 200)
        await nats_server.stop()
        # Sends still commit and are acknowledged; what the bus drops (published while
        # NATS is away, or flushed by one gateway before another is back), cursors repair.
        await more_traffic(traffic, 100)
        await asyncio.sleep(1.0)  # NATS stays away a while, as in a real restart
        await nats_server.start()
        await more_traffic(traffic, 300)
        await traffic.stop()
        await scenario.check_exact(s)

        # Delivery resumed: a new message arrives live, in order, with no sync needed.
        a, b = s.devices[0], s.devices[1]
        gaps, count = b.gaps, len(b.processed)
        a.send(s.direct, "after the restart")
        await wait_for(lambda: len(b.processed) == count + 1, timeout=10)
        assert b.gaps == gaps and b.processed[-1]["text"] == "after the restart"

        # Discovery and presence are whole again.
        async def whole() -> bool:
            return sorted(await discovered(http)) == ["gw0", "gw1", "gw2"]

        # Within 20 s: a loaded machine has been seen to take more than 10.
        try:
            await wait_for(whole, timeout=20)
        except AssertionError:
            raise AssertionError(
                f"discovery lists {await discovered(http)}; the nodes warned:\n{cluster.warnings()}"
            ) from None
        for user in s.users:
            await wait_for(lambda u=user: is_online(http, s.users[0], u))  # type: ignore[misc]
    finally:
        await traffic.stop()
        for d in s.devices:
            await d.close()


async def _ping(ws: WsClient) -> None:
    while True:
        ws.send({"type": "ping"})
        await asyncio.sleep(0.25)


def _live_elsewhere(d: Device) -> bool:
    return d.live.is_set() and d.gateways[-1] != "gw0"
