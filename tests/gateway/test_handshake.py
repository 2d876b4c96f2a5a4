"""The hello/welcome handshake, heartbeats and close codes."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"hello_timeout": 0.5, "max_frame_bytes": 64 * 1024}


async def test_welcome_and_ping(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    ws = await WsClient.connect(server.ws_url)
    welcome = await ws.hello(a.token)
    assert welcome["user_id"] == a.id and welcome["device_id"] == a.device_id
    assert welcome["cursor"] == 0 and welcome["heartbeat_interval"] == 5.0
    assert welcome["gateway_id"]
    ws.send({"type": "ping"})
    assert (await ws.expect("pong"))["type"] == "pong"
    ws.send({"type": "hello", "token": a.token})
    err = await ws.expect("error")
    assert err["code"] == "invalid_request"
    await ws.close()


async def test_no_hello_in_time_closes_4000(server: RunningServer) -> None:
    ws = await WsClient.connect(server.ws_url)
    assert await ws.closed() == 4000


@pytest.mark.parametrize(
    "first",
    [
        {"type": "ping"},
        {"type": "send", "channel_id": "c", "client_msg_id": "m", "text": "x"},
        b"not json",
        {"type": "hello"},
        {"type": "hello", "token": 5},
    ],
)
async def test_first_frame_must_be_hello(server: RunningServer, first: object) -> None:
    ws = await WsClient.connect(server.ws_url)
    ws.send(first)  # type: ignore[arg-type]
    assert await ws.closed() == 4000


async def test_bad_token_closes_4001(server: RunningServer) -> None:
    ws = await WsClient.connect(server.ws_url)
    ws.send({"type": "hello", "token": "not-a-token"})
    assert await ws.closed() == 4001


async def test_logout_closes_that_device_4001(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a = await api.signup(http)
    other = await api.login(http, a.username, device="laptop")
    ws1 = await WsClient.connect(server.ws_url)
    await ws1.hello(a.token)
    ws2 = await WsClient.connect(server.ws_url)
    await ws2.hello(other.token)
    assert (await http.delete("/v1/sessions/current", headers=a.auth)).status_code == 204
    assert await ws1.closed() == 4001
    ws2.send({"type": "ping"})
    assert (await ws2.expect("pong"))["type"] == "pong"
    # The revoked token cannot open a new socket either.
    ws3 = await WsClient.connect(server.ws_url)
    ws3.send({"type": "hello", "token": a.token})
    assert await ws3.closed() == 4001
    await ws2.close()


async def test_password_change_closes_other_devices(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a = await api.signup(http)
    other = await api.login(http, a.username, device="laptop")
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(other.token)
    r = await http.post(
        "/v1/me/password",
        json={"current_password": a.password, "new_password": "a brand new secret"},
        headers=a.auth,
    )
    assert r.status_code == 204
    assert await ws.closed() == 4001
    assert (await http.get("/v1/me", headers=a.auth)).status_code == 200
    assert (await http.get("/v1/me", headers=other.auth)).status_code == 401
    r = await http.post("/v1/sessions", json={"username": a.username, "password": a.password})
    assert r.status_code == 401


async def test_oversized_frame_closes_1009(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    ws.send(b'{"type":"ping","pad":"' + b"x" * (70 * 1024) + b'"}')
    assert await ws.closed() == 1009


async def test_other_paths_are_not_websockets(server: RunningServer) -> None:
    with pytest.raises(Exception, match="404"):
        await WsClient.connect(f"ws://127.0.0.1:{server.port}/v1/elsewhere")
