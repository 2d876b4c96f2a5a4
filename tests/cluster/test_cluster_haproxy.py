"""The cluster behind HAProxy running deploy/haproxy.cfg: two api processes and a
gateway, reached only through the load balancer. Requests are spread over both api
processes, WebSockets pass through to the gateway, and killing one api process with
SIGKILL costs no request: HAProxy retries on the other and its /readyz check takes the
dead one out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.cluster.haproxy import HaProxy, require_haproxy
from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Node
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


async def test_cluster_through_haproxy(
    tmp_path: Path, nats_server: NatsServer, cluster_store: str
) -> None:
    require_haproxy()
    api1, api2, gw = (
        Node(name, role, tmp_path, cluster_store, nats_server.url)
        for name, role in (("api1", "api"), ("api2", "api"), ("gw", "gateway"))
    )
    nodes = [api1, api2, gw]
    addr = [f"127.0.0.1:{n.port}" for n in nodes]
    lb = HaProxy(tmp_path / "haproxy", api=addr[:2], gateways=addr[2:])
    sockets: list[WsClient] = []
    try:
        await api1.start()
        await asyncio.gather(api2.start(), gw.start(), lb.start())
        await wait_for(lambda: all_up(lb, "api", ["api1", "api2"]), timeout=20)
        await wait_for(lambda: all_up(lb, "gateways", ["gw1", "gw2"]), timeout=20)
        async with httpx.AsyncClient(base_url=lb.base_url, timeout=30) as http:
            a, b, channel = await api.friends_in_chat(http)
            # Spread over both api processes.
            served = await lb.served("api")
            assert served["api1"] > 0 and served["api2"] > 0, served
            # WebSockets through the load balancer, to the gateway behind it.
            wa, wb = await WsClient.connect(lb.ws_url), await WsClient.connect(lb.ws_url)
            sockets += [wa, wb]
            await wa.hello(a.token)
            await wb.hello(b.token)
            await exchange(wa, wb, channel, "before")

            await api1.kill9()
            # Every request after the kill succeeds: the ones sent to the dead process
            # find its port closed and go to api2.
            for i in range(20):
                r = await http.get("/v1/me", headers=a.auth)
                assert r.status_code == 200, r.text
                r = await http.post(
                    f"/v1/channels/{channel}/messages",
                    json={"client_msg_id": f"http{i}", "text": f"over http {i}"},
                    headers=a.auth,
                )
                assert r.status_code in (200, 201), r.text
            await api.login(http, b.username)
            # The health check on /readyz marks it down.
            await wait_for(lambda: status_is(lb, "api1", "DOWN"), timeout=20)
            # The gateway's sockets never went through an api process.
            await exchange(wa, wb, channel, "after")
            texts = [m["text"] for m in await api.all_history(http, b, channel)]
            assert texts[0] == "before" and texts[-1] == "after" and len(texts) == 22
    finally:
        for ws in sockets:
            await ws.close()
        await lb.stop()
        await asyncio.gather(*(n.stop() for n in nodes), return_exceptions=True)


async def all_up(lb: HaProxy, backend: str, servers: list[str]) -> bool:
    status = await lb.server_status(backend)
    return all(status.get(s) == "UP" for s in servers)


async def status_is(lb: HaProxy, server: str, want: str) -> bool:
    return (await lb.server_status("api")).get(server) == want


async def exchange(sender: WsClient, receiver: WsClient, channel: str, text: str) -> None:
    sender.send({"type": "send", "channel_id": channel, "client_msg_id": text, "text": text})
    await sender.expect("sent", timeout=10)
    while (await receiver.expect("message", timeout=10))["message"]["text"] != text:
        pass
