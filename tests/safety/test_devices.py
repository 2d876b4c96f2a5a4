"""Logged-in devices: listing them and logging any of them out."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def test_list_and_log_out_a_device(server: RunningServer, http: httpx.AsyncClient) -> None:
    phone = await api.signup(http)
    laptop = await api.login(http, phone.username, device="laptop")
    sessions = (await http.get("/v1/sessions", headers=laptop.auth)).json()["sessions"]
    assert [(s["device_id"], s["device_name"], s["current"]) for s in sessions] == [
        (phone.device_id, "test", False),
        (laptop.device_id, "laptop", True),
    ]
    assert all(s["created_at"].endswith("Z") for s in sessions)
    assert sessions[1]["last_active_at"] is not None  # it just made this request
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(phone.token)
    r = await http.delete(f"/v1/sessions/{phone.device_id}", headers=laptop.auth)
    assert r.status_code == 204
    assert await ws.closed() == 4001
    assert (await http.get("/v1/me", headers=phone.auth)).status_code == 401
    assert (await http.get("/v1/me", headers=laptop.auth)).status_code == 200
    sessions = (await http.get("/v1/sessions", headers=laptop.auth)).json()["sessions"]
    assert [s["device_id"] for s in sessions] == [laptop.device_id]
    # Twice: the device is gone.
    r = await http.delete(f"/v1/sessions/{phone.device_id}", headers=laptop.auth)
    assert r.status_code == 404


async def test_another_users_device_is_404(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(b.token)
    for device_id in (b.device_id, "dNoSuchDevice"):
        r = await http.delete(f"/v1/sessions/{device_id}", headers=a.auth)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (await http.get("/v1/me", headers=b.auth)).status_code == 200
    ws.send({"type": "ping"})
    assert (await ws.expect("pong"))["type"] == "pong"
    await ws.close()


async def test_current_still_logs_out_this_device(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    assert (await http.delete("/v1/sessions/current", headers=a.auth)).status_code == 204
    assert (await http.get("/v1/sessions", headers=a.auth)).status_code == 401
