"""A cluster whose gateways register in ZooKeeper (`--registry zookeeper://...`):
separate api and gateway processes on PostgreSQL and NATS, with a ZooKeeper started by
the test. Gateways are listed at the address they are bound to, their load reaches
discovery, and one killed with SIGKILL drops out when its session expires."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Node
from tests.cluster.zookeeper_server import ZooKeeperServer
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient

SESSION = 2.0  # registry_ttl: the ZooKeeper session timeout


async def test_gateways_in_zookeeper(
    tmp_path: Path, nats_server: NatsServer, cluster_store: str, zookeeper: ZooKeeperServer
) -> None:
    def node(name: str, role: str) -> Node:
        return Node(
            name,
            role,
            tmp_path,
            cluster_store,
            nats_server.url,
            registry=zookeeper.url("/chinwag-test"),
            registry_ttl=SESSION,
            public_url="",  # advertise the bound address
            capacity=10,
        )

    api_node, gw0, gw1 = node("api", "api"), node("gw0", "gateway"), node("gw1", "gateway")
    ws: WsClient | None = None
    try:
        await api_node.start()
        await asyncio.gather(gw0.start(), gw1.start())
        async with httpx.AsyncClient(base_url=api_node.base_url, timeout=30) as http:

            async def listed() -> dict[str, Any]:
                body = (await http.get("/v1/discovery")).json()
                return {g["id"]: (g["url"], g["load"]) for g in body["gateways"]}

            async def shows(want: dict[str, Any]) -> bool:
                return await listed() == want

            await wait_for(lambda: shows({"gw0": (gw0.ws_url, 0.0), "gw1": (gw1.ws_url, 0.0)}))
            # A socket on gw1 reaches discovery as load.
            user = await api.signup(http)
            ws = await WsClient.connect(gw1.ws_url)
            await ws.hello(user.token)
            await wait_for(lambda: shows({"gw0": (gw0.ws_url, 0.0), "gw1": (gw1.ws_url, 0.1)}))
            # Killed outright, gw1 deregisters nothing: ZooKeeper deletes its node when
            # the session expires.
            await gw1.kill9()
            await wait_for(lambda: shows({"gw0": (gw0.ws_url, 0.0)}), timeout=SESSION * 3)
    finally:
        if ws is not None:
            await ws.close()
        await asyncio.gather(*(n.stop() for n in (api_node, gw0, gw1)), return_exceptions=True)
