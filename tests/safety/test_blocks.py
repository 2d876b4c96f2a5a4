"""Blocking over HTTP and WebSocket: every path the contract names, and its bad input."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def _block(http: httpx.AsyncClient, a: api.TestUser, b: api.TestUser) -> None:
    r = await http.put(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 204, r.text


async def test_bad_input(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    r = await http.put(f"/v1/blocks/{a.id}", headers=a.auth)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    r = await http.put("/v1/blocks/uNoSuchUser", headers=a.auth)
    assert r.status_code == 404
    await _block(http, a, b)
    r = await http.put(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = await http.delete(f"/v1/blocks/{a.id}", headers=b.auth)  # b blocks nobody
    assert r.status_code == 404
    listed = (await http.get("/v1/blocks", headers=a.auth)).json()["users"]
    assert [u["id"] for u in listed] == [b.id]
    assert (await http.get("/v1/blocks", headers=b.auth)).json()["users"] == []


async def test_block_ends_friendship_and_direct_messages(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    await _block(http, a, b)
    removed = await wb.expect("friend", skip=("presence",))
    assert removed["event"] == "removed" and removed["user"]["id"] == a.id
    assert (await http.get("/v1/friends", headers=a.auth)).json()["friends"] == []
    # Neither way: no friend request, no direct message (HTTP or socket), nothing stored.
    for x, y in ((b, a), (a, b)):
        r = await http.post("/v1/friends/requests", json={"user_id": y.id}, headers=x.auth)
        assert r.status_code == 403, r.text
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"h-{x.id}", "text": "hi"},
            headers=x.auth,
        )
        assert r.status_code == 403
    wb.send({"type": "send", "channel_id": channel, "client_msg_id": "w1", "text": "hi"})
    err = await wb.expect("error")
    assert err["code"] == "forbidden" and err["ref"] == "w1"
    assert await api.history(http, a, channel) == []
    assert (await http.get("/v1/friends/requests", headers=a.auth)).json()["incoming"] == []
    # Unblocking restores nothing: no friendship, no open channel.
    assert (await http.delete(f"/v1/blocks/{b.id}", headers=a.auth)).status_code == 204
    assert (await http.get("/v1/friends", headers=a.auth)).json()["friends"] == []
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "after", "text": "hi"},
        headers=b.auth,
    )
    assert r.status_code == 403
    # ... but they may become friends again.
    await api.befriend(http, b, a)
    await wb.close()


async def test_pending_request_is_withdrawn(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    r = await http.post("/v1/friends/requests", json={"user_id": a.id}, headers=b.auth)
    assert r.status_code == 201
    await _block(http, a, b)
    assert (await http.get("/v1/friends/requests", headers=a.auth)).json()["incoming"] == []
    r = await http.post(f"/v1/friends/requests/{r.json()['id']}/accept", headers=a.auth)
    assert r.status_code == 404


async def test_presence_and_typing_hidden_in_a_shared_group(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    await api.open_to_groups(http, b, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [b.id, c.id]},
        headers=a.auth,
    )
    group = r.json()["id"]
    sockets = {}
    for u in (a, b, c):
        sockets[u.id] = await WsClient.connect(server.ws_url)
        await sockets[u.id].hello(u.token)

    async def visible(viewer: api.TestUser, other: api.TestUser) -> bool:
        r = await http.get("/v1/presence", params={"user_ids": other.id}, headers=viewer.auth)
        return [p["user_id"] for p in r.json()["presence"]] == [other.id]

    assert await visible(a, b) and await visible(b, a)
    await _block(http, a, b)
    assert not await visible(a, b) and not await visible(b, a)
    assert await visible(a, c) and await visible(c, b)
    # Both stay members; b's typing reaches c but not a.
    members = (await http.get(f"/v1/channels/{group}/members", headers=a.auth)).json()
    assert {m["user_id"] for m in members["members"]} == {a.id, b.id, c.id}
    sockets[b.id].send({"type": "typing", "channel_id": group})
    typing = await sockets[c.id].expect("typing", skip=("presence",))
    assert typing["user_id"] == b.id
    sockets[a.id].send({"type": "ping"})
    await sockets[a.id].expect("pong")
    assert [f for f in sockets[a.id].pending() if f["type"] == "typing"] == []
    # Messages in the group still flow (the blocker's client hides them).
    r = await http.post(
        f"/v1/channels/{group}/messages",
        json={"client_msg_id": "g1", "text": "still here"},
        headers=b.auth,
    )
    assert r.status_code == 201
    for ws in sockets.values():
        await ws.close()


async def test_no_group_adds_across_a_block(http: httpx.AsyncClient) -> None:
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    await api.open_to_groups(http, a, b, c)
    await _block(http, a, b)
    for actor, target in ((b, a), (a, b)):
        r = await http.post(
            "/v1/channels",
            json={"kind": "group", "name": "g", "member_ids": [target.id, c.id]},
            headers=actor.auth,
        )
        assert r.status_code == 403, r.text
        r = await http.post(
            "/v1/channels",
            json={"kind": "group", "name": "g", "member_ids": [c.id]},
            headers=actor.auth,
        )
        group = r.json()["id"]
        r = await http.post(
            f"/v1/channels/{group}/members", json={"user_id": target.id}, headers=actor.auth
        )
        assert r.status_code == 403
    assert len((await http.get("/v1/channels", headers=a.auth)).json()["channels"]) == 1
