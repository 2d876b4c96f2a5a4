"""Users spread over three gateways chat 1:1 and in small and large groups."""

from __future__ import annotations

import asyncio

import httpx

from tests.cluster import scenario
from tests.cluster.nodes import Cluster
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


async def test_chat_across_gateways(cluster: Cluster, http: httpx.AsyncClient) -> None:
    s = await scenario.build(http)
    await scenario.connect_spread(s, cluster, cluster.api.base_url)
    assert {d.gateways[0] for d in s.devices} == {"gw0", "gw1", "gw2"}
    traffic = scenario.Traffic(s)
    traffic.start()
    await wait_for(lambda: traffic.sent >= 300, timeout=30)
    await traffic.stop()
    try:
        await scenario.check_exact(s)
    finally:
        for d in s.devices:
            await d.close()


async def test_control_events_cross_processes(cluster: Cluster, http: httpx.AsyncClient) -> None:
    a, b, c, d = [await api.signup(http) for _ in range(4)]
    await api.open_to_groups(http, a, c, d)
    wa = await WsClient.connect(cluster.gateways[1].ws_url)
    await wa.hello(a.token)
    # A large group made on the api process: the member's gateway starts carrying it.
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "big", "member_ids": [a.id, c.id, d.id]},
        headers=b.auth,
    )
    assert r.status_code == 201 and r.json()["large"] is True
    group = r.json()["id"]
    wb = await WsClient.connect(cluster.gateways[2].ws_url)
    await wb.hello(b.token)

    async def arrives() -> bool:
        r = await http.post(
            f"/v1/channels/{group}/messages",
            json={"client_msg_id": f"m{asyncio.get_running_loop().time()}", "text": "hi"},
            headers=b.auth,
        )
        assert r.status_code == 201
        try:
            frame = await wa.expect("message", timeout=0.5)
        except TimeoutError:
            return False
        return bool(frame["message"]["channel_id"] == group)

    await wait_for(arrives, timeout=10)
    # Logout on the api process closes the device's socket on gateway 1 with 4001.
    r = await http.delete("/v1/sessions/current", headers=a.auth)
    assert r.status_code == 204
    assert await wa.closed(timeout=5) == 4001
    await wb.close()
