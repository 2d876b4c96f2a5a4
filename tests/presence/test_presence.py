"""Presence over real sockets with short timings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest

from chinwag.clock import SystemClock, rfc3339
from tests.helpers import api
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient

TIMINGS = {
    "presence_timeout": 1.2,
    "presence_grace": 0.6,
    "heartbeat_interval": 0.3,
    "last_active_write_interval": 0.0,
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return dict(TIMINGS)


async def _status(http: httpx.AsyncClient, viewer: api.TestUser, user: api.TestUser) -> str | None:
    r = await http.get("/v1/presence", params={"user_ids": user.id}, headers=viewer.auth)
    assert r.status_code == 200
    found = r.json()["presence"]
    return found[0]["status"] if found else None


async def _startswith(text: Awaitable[str], prefix: str) -> bool:
    return (await text).startswith(prefix)


async def _presence_frames(ws: WsClient, user_id: str) -> list[str]:
    return [
        f["status"]
        for f in ws.pending(ignore=())
        if f["type"] == "presence" and f["user_id"] == user_id
    ]


async def test_online_offline_and_grace(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    wb = await WsClient.connect(server.ws_url)
    welcome = await wb.hello(b.token)
    assert welcome["heartbeat_interval"] == 0.3
    assert await _status(http, b, a) == "offline"
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    frame = await wb.expect("presence")
    assert frame["user_id"] == a.id and frame["status"] == "online" and frame["last_active_at"]
    assert await _status(http, b, a) == "online"
    friends = (await http.get("/v1/friends", headers=b.auth)).json()["friends"]
    assert friends[0]["presence"]["status"] == "online"
    # A second device keeps a online when the first leaves.
    a2 = await api.login(http, a.username, device="second")
    wa2 = await WsClient.connect(server.ws_url)
    await wa2.hello(a2.token)
    await wa.close()
    for _ in range(5):
        wa2.send({"type": "ping"})
        await asyncio.sleep(0.2)
    assert await _status(http, b, a) == "online"
    # The last device leaves cleanly: still online within the grace period, then offline.
    await wa2.close()
    assert await _status(http, b, a) == "online"
    offline = await wb.expect("presence", timeout=5)
    assert offline["status"] == "offline" and offline["user_id"] == a.id
    assert await _status(http, b, a) == "offline"
    await wb.close()


async def test_quick_reconnect_no_flap(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    assert (await wb.expect("presence"))["status"] == "online"
    await wa.close()
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    for _ in range(6):
        wa.send({"type": "ping"})
        wb.send({"type": "ping"})
        await asyncio.sleep(0.25)
    assert await _presence_frames(wb, a.id) == []
    await wa.close()
    await wb.close()


async def test_missed_heartbeats_with_socket_open(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    assert (await wb.expect("presence"))["status"] == "online"
    # a sends nothing: after the timeout a is offline though its socket is open.
    keep = asyncio.create_task(_keep_alive(wb, 3.0))
    offline = await wb.expect("presence", timeout=5)
    assert offline["status"] == "offline"
    assert not wa.transport.is_disconnected
    # One frame and a is back.
    wa.send({"type": "ping"})
    assert (await wb.expect("presence", timeout=5))["status"] == "online"
    keep.cancel()
    await wa.close()
    await wb.close()


async def _keep_alive(ws: WsClient, seconds: float) -> None:
    for _ in range(int(seconds / 0.2)):
        ws.send({"type": "ping"})
        await asyncio.sleep(0.2)


async def test_fan_out_only_to_friends_and_visibility(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, friend, stranger, comember = [await api.signup(http) for _ in range(4)]
    await api.befriend(http, a, friend)
    await api.open_to_groups(http, comember)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [comember.id]},
        headers=a.auth,
    )
    assert r.status_code == 201
    socks = {}
    for u in (friend, stranger, comember):
        socks[u.id] = await WsClient.connect(server.ws_url)
        await socks[u.id].hello(u.token)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    assert (await socks[friend.id].expect("presence"))["user_id"] == a.id
    for u in (friend, stranger, comember):
        socks[u.id].send({"type": "ping"})
        await socks[u.id].expect("pong")
    assert await _presence_frames(socks[stranger.id], a.id) == []
    assert await _presence_frames(socks[comember.id], a.id) == []
    # Lookups: friends and co-members see; strangers get no entry.
    assert await _status(http, friend, a) == "online"
    assert await _status(http, comember, a) == "online"
    assert await _status(http, stranger, a) is None
    r = await http.get(
        "/v1/presence", params={"user_ids": f"{a.id},{friend.id}"}, headers=stranger.auth
    )
    assert r.json()["presence"] == []
    assert (await http.get("/v1/presence", headers=a.auth)).status_code == 400
    for ws in (*socks.values(), wa):
        await ws.close()


class MovableClock(SystemClock):
    """The system clock, whose wall time a test can move forward (monotonic time, which
    drives timeouts and rate limits, runs as usual)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def now(self) -> float:
        return super().now() + self.ahead


async def test_last_active_at_and_restart_starts_offline(tmp_path: Path, store_url: str) -> None:
    # A timeout longer than the test: a stays online throughout, so no transition (which
    # writes last_active_at too) can stand in for the frame's own write.
    settings = test_settings(tmp_path / "data", store_url, **{**TIMINGS, "presence_timeout": 60})
    clock = MovableClock()
    async with (
        run_server(settings, clock=clock) as srv,
        httpx.AsyncClient(base_url=srv.base_url) as http,
    ):
        a, b = await api.signup(http), await api.signup(http)
        await api.befriend(http, a, b)
        wa = await WsClient.connect(srv.ws_url)
        await wa.hello(a.token)
        await wait_for(lambda: srv.app.services.presence.is_online(a.id))

        async def last_active() -> str:
            r = await http.get("/v1/presence", params={"user_ids": a.id}, headers=b.auth)
            at = r.json()["presence"][0]["last_active_at"]
            assert at is not None
            return str(at)

        first = await last_active()
        # An hour later, any frame from the user moves last_active_at to that hour.
        clock.ahead = 3600.0
        later = rfc3339(int(clock.now() * 1000))[:13]  # to the hour: "YYYY-MM-DDTHH"
        assert later > first[:13]
        wa.send({"type": "ping"})
        await wa.expect("pong")
        await wait_for(lambda: _startswith(last_active(), later))
        assert srv.app.services.presence.changes == 1  # only the first online
        # Stopping the server drops the socket without a clean close from the client.
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:
        r = await http.get("/v1/presence", params={"user_ids": a.id}, headers=b.auth)
        p = r.json()["presence"][0]
        assert p["status"] == "offline" and p["last_active_at"] is not None
