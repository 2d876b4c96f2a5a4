"""Socket abuse: Origin allow-list, connection caps, frame floods, slow headers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "allowed_origins": "https://chat.example",
        "connections_per_user": 2,
        "connections_per_address": 6,
        "frames_per_sec": 50,
        "header_timeout": 0.3,
    }


async def test_origin_allow_list(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    with pytest.raises(Exception, match="403"):
        await WsClient.connect(server.ws_url, extra_headers={"Origin": "https://evil.example"})
    ok = await WsClient.connect(server.ws_url, extra_headers={"Origin": "https://chat.example"})
    await ok.hello(a.token)
    await ok.close()
    # Non-browser clients send no Origin and are not subject to it.
    plain = await WsClient.connect(server.ws_url)
    await plain.hello(a.token)
    await plain.close()


async def test_connection_caps(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    first, second = await WsClient.connect(server.ws_url), await WsClient.connect(server.ws_url)
    await first.hello(a.token)
    await second.hello(a.token)
    third = await WsClient.connect(server.ws_url)
    third.send({"type": "hello", "token": a.token})
    assert await third.closed() == 4008
    extra = [await WsClient.connect(server.ws_url) for _ in range(4)]  # 6 from this address
    with pytest.raises(Exception, match="429"):
        await WsClient.connect(server.ws_url)
    for ws in (first, second, *extra):
        await ws.close()
    await wait_for(lambda: server.app.hub.connection_count == 0)
    again = await WsClient.connect(server.ws_url)
    await again.close()


async def test_frame_flood_closes_4008(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    for _ in range(200):
        ws.send({"type": "ping"})
    assert await ws.closed() == 4008


async def test_slow_headers_are_cut_off(server: RunningServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    assert data == b""  # closed without an answer
    writer.close()
    # A normal client is unaffected.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_unauthenticated_sockets_are_dropped(server: RunningServer) -> None:
    # hello_timeout is 10 s by default; here: the socket is open, sends junk, is closed.
    ws = await WsClient.connect(server.ws_url)
    ws.send({"type": "ping"})
    assert await ws.closed() == 4000


@pytest.mark.parametrize("settings_overrides", [{"capacity": 2}])
async def test_full_gateway_refuses_new_sockets(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    first, second = await WsClient.connect(server.ws_url), await WsClient.connect(server.ws_url)
    with pytest.raises(Exception, match="503"):
        await WsClient.connect(server.ws_url)
    assert (await http.get("/v1/discovery")).json()["gateways"] == []
    await first.close()
    await wait_for(lambda: server.app.hub.connection_count == 1)
    third = await WsClient.connect(server.ws_url)
    for ws in (second, third):
        await ws.close()
