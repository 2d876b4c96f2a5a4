"""Device logout and deactivation reach a socket held by another gateway process."""

from __future__ import annotations

from pathlib import Path

import httpx

from chinwag.admin_cli import run
from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Cluster
from tests.e2ee.keys import mxid
from tests.helpers import api
from tests.helpers.server import test_settings
from tests.helpers.wsclient import WsClient

SKIP = ("presence", "channel", "friend", "message")


async def test_device_logout_closes_a_socket_on_another_gateway(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    phone = await api.signup(http)
    laptop = await api.login(http, phone.username, device="laptop")
    ws = await WsClient.connect(cluster.gateways[1].ws_url)
    await ws.hello(phone.token)
    r = await http.delete(f"/v1/sessions/{phone.device_id}", headers=laptop.auth)
    assert r.status_code == 204
    assert await ws.closed(timeout=10) == 4001
    assert (await http.get("/v1/me", headers=phone.auth)).status_code == 401


async def test_deactivation_closes_sockets_on_every_gateway(
    tmp_path: Path,
    cluster: Cluster,
    http: httpx.AsyncClient,
    nats_server: NatsServer,
    cluster_store: str,
) -> None:
    admin, target = await api.signup(http), await api.signup(http)
    # The operator's command, on the cluster's store and NATS.
    settings = test_settings(tmp_path / "cli", cluster_store, nats=nats_server.url)
    await run(settings, "grant", admin.username)
    second = await api.login(http, target.username, device="second")
    sockets = []
    for gateway, user in ((cluster.gateways[0], target), (cluster.gateways[2], second)):
        ws = await WsClient.connect(gateway.ws_url)
        await ws.hello(user.token)
        sockets.append(ws)
    r = await http.post(f"/v1/admin/users/{target.id}/deactivate", headers=admin.auth)
    assert r.status_code == 204
    for ws in sockets:
        assert await ws.closed(timeout=10) == 4001
    r = await http.post(
        "/v1/sessions", json={"username": target.username, "password": target.password}
    )
    assert r.status_code == 403
    # Reactivated, logged in again, and deactivated from the command line this time.
    await run(settings, "reactivate", target.username)
    again = await api.login(http, target.username)
    ws = await WsClient.connect(cluster.gateways[1].ws_url)
    await ws.hello(again.token)
    await run(settings, "deactivate", target.username)
    assert await ws.closed(timeout=10) == 4001


async def test_deactivation_sends_device_lists_across_the_cluster(
    tmp_path: Path,
    cluster: Cluster,
    http: httpx.AsyncClient,
    nats_server: NatsServer,
    cluster_store: str,
) -> None:
    """On the cluster bus, deactivation by the api process or by the command tells a friend
    whose socket is on another gateway to query keys again."""
    admin, target, friend = await api.signup(http), await api.signup(http), await api.signup(http)
    settings = test_settings(tmp_path / "cli", cluster_store, nats=nats_server.url)
    await run(settings, "grant", admin.username)
    await api.befriend(http, target, friend)
    ws = await WsClient.connect(cluster.gateways[2].ws_url)
    await ws.hello(friend.token)
    notice = {"type": "device_lists", "changed": [mxid(target)], "left": []}
    r = await http.post(f"/v1/admin/users/{target.id}/deactivate", headers=admin.auth)
    assert r.status_code == 204
    assert await ws.expect("device_lists", skip=SKIP) == notice
    await run(settings, "reactivate", target.username)
    await api.login(http, target.username)
    await run(settings, "deactivate", target.username)
    assert await ws.expect("device_lists", skip=SKIP) == notice
    await ws.close()
