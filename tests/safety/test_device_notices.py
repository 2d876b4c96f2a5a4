"""Logging a device out, or deleting the account, tells those who encrypt to the user's
devices (friends, members of shared encrypted channels, the user's other devices) to
query keys again; nobody else hears of it."""

from __future__ import annotations

import httpx

from tests.e2ee.keys import mxid
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient

SKIP = ("presence", "channel", "friend", "message")


async def _circle(
    server: RunningServer, http: httpx.AsyncClient
) -> tuple[api.TestUser, api.TestUser, api.TestUser, dict[str, WsClient]]:
    """a; b, a's friend; c, in an encrypted group with a (not a friend); a stranger.
    Returns them with sockets for b, c and the stranger, each past every notice so far."""
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    stranger = await api.signup(http)
    await api.befriend(http, a, b)
    await api.open_to_groups(http, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [c.id], "encrypted": True},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    sockets = {}
    for user in (b, c, stranger):
        sockets[user.id] = ws = await WsClient.connect(server.ws_url)
        await ws.hello(user.token)
        # A ping answered: every notice sent before is in.
        ws.send({"type": "ping"})
        await ws.expect("pong")
        ws.pending(ignore=())
    sockets["stranger"] = sockets.pop(stranger.id)
    return a, b, c, sockets


async def _nothing_more(ws: WsClient) -> list[str]:
    ws.send({"type": "ping"})
    await ws.expect("pong")
    return [f["type"] for f in ws.pending(ignore=SKIP)]


async def test_logging_a_device_out_sends_device_lists(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c, sockets = await _circle(server, http)
    laptop = await api.login(http, a.username, device="laptop")
    own = await WsClient.connect(server.ws_url)
    await own.hello(laptop.token)
    r = await http.delete(f"/v1/sessions/{a.device_id}", headers=laptop.auth)
    assert r.status_code == 204
    notice = {"type": "device_lists", "changed": [mxid(a)], "left": []}
    for ws in (sockets[b.id], sockets[c.id], own):
        assert await ws.expect("device_lists", skip=SKIP) == notice
    assert await _nothing_more(sockets["stranger"]) == []
    # Logging this very device out tells them as well.
    r = await http.delete("/v1/sessions/current", headers=laptop.auth)
    assert r.status_code == 204
    for ws in (sockets[b.id], sockets[c.id]):
        assert await ws.expect("device_lists", skip=SKIP) == notice
    assert await _nothing_more(sockets["stranger"]) == []
    for ws in sockets.values():
        await ws.close()


async def test_deleting_the_account_sends_device_lists(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c, sockets = await _circle(server, http)
    r = await http.request("DELETE", "/v1/me", json={"password": a.password}, headers=a.auth)
    assert r.status_code == 204
    # b was a friend (the friendship is gone now): still told.
    notice = await sockets[b.id].expect("device_lists", skip=SKIP)
    assert notice == {"type": "device_lists", "changed": [mxid(a)], "left": []}
    # c shared an encrypted group, which a left: told either way.
    notice = await sockets[c.id].expect("device_lists", skip=SKIP)
    assert mxid(a) in notice["changed"] + notice["left"]
    assert await _nothing_more(sockets["stranger"]) == []
    for ws in sockets.values():
        await ws.close()
