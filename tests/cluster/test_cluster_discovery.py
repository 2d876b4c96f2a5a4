"""Service discovery across processes: region first, then the least loaded gateway; a
full gateway is not offered."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Node
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


def ids(body: dict[str, Any]) -> list[str]:
    return [g["id"] for g in body["gateways"]]


async def test_discovery_ranks_by_region_then_load(
    tmp_path: Path, nats_server: NatsServer, cluster_store: str
) -> None:
    def node(name: str, role: str, **settings: Any) -> Node:
        return Node(name, role, tmp_path, cluster_store, nats_server.url, **settings)

    api_node = node("api", "api", region="eu")
    gw0 = node("gw0", "gateway", region="eu", capacity=100)
    gw1 = node("gw1", "gateway", region="eu", capacity=3)
    gw2 = node("gw2", "gateway", region="us", capacity=100)
    nodes = [api_node, gw0, gw1, gw2]
    sockets: list[WsClient] = []
    try:
        await api_node.start()
        await asyncio.gather(gw0.start(), gw1.start(), gw2.start())
        async with httpx.AsyncClient(base_url=api_node.base_url, timeout=30) as http:
            body = (await http.get("/v1/discovery")).json()
            assert ids(body) == ["gw0", "gw1", "gw2"]
            assert [g["url"] for g in body["gateways"]] == [gw0.ws_url, gw1.ws_url, gw2.ws_url]
            assert {g["region"] for g in body["gateways"]} == {"eu", "us"}

            user = await api.signup(http)
            for _ in range(2):
                sockets.append(await WsClient.connect(gw0.ws_url))
                await sockets[-1].hello(user.token)

            async def ranked(want: list[str], **params: str) -> bool:
                r = await http.get("/v1/discovery", params=params)
                return ids(r.json()) == want

            # gw0 carries two sockets: the idle gw1 of the same region comes first.
            await wait_for(lambda: ranked(["gw1", "gw0", "gw2"]), timeout=10)
            # gw1 at its capacity of three is no longer offered.
            for _ in range(3):
                sockets.append(await WsClient.connect(gw1.ws_url))
                await sockets[-1].hello(user.token)
            await wait_for(lambda: ranked(["gw0", "gw2"]), timeout=10)
            # A client of another region is sent to its own region first.
            await wait_for(lambda: ranked(["gw2", "gw0"], region="us"), timeout=10)
            # Login answers with the same ranking.
            session = await http.post(
                "/v1/sessions", json={"username": user.username, "password": user.password}
            )
            assert ids(session.json()) == ["gw0", "gw2"]
            loads = {g["id"]: g["load"] for g in session.json()["gateways"]}
            assert loads == {"gw0": 0.02, "gw2": 0.0}
    finally:
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*(n.stop() for n in nodes), return_exceptions=True)


async def test_gateways_without_public_url_advertise_their_own_address(
    tmp_path: Path, nats_server: NatsServer, cluster_store: str
) -> None:
    """Two processes started as a newcomer would (every role, no public URL, two ports):
    each is listed at its own address, whichever of them answers."""
    nodes = [
        Node(name, "all", tmp_path, cluster_store, nats_server.url, public_url="")
        for name in ("a", "b")
    ]
    try:
        await nodes[0].start()
        await nodes[1].start()
        want = {"a": nodes[0].ws_url, "b": nodes[1].ws_url}
        assert want["a"] != want["b"]
        for answering in nodes:
            async with httpx.AsyncClient(base_url=answering.base_url, timeout=30) as http:

                async def urls(http: httpx.AsyncClient = http) -> bool:
                    body = (await http.get("/v1/discovery")).json()
                    return {g["id"]: g["url"] for g in body["gateways"]} == want

                await wait_for(urls, timeout=10)
    finally:
        await asyncio.gather(*(n.stop() for n in nodes), return_exceptions=True)


async def test_wildcard_gateway_without_public_url_refuses_to_start(tmp_path: Path) -> None:
    """Bound to every address in a cluster, a gateway cannot know which one clients use."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chinwag",
        "serve",
        "--role",
        "gateway",
        "--host",
        "0.0.0.0",
        "--store",
        "postgresql://nobody@127.0.0.1:1/none",
        "--nats",
        "nats://127.0.0.1:1",
        "--data-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    assert b"--public-url" in err and b"0.0.0.0" in err
