"""Consent: only friends may put a user into a group unless the user opens that up, and
direct messages need the friendship at send time, on every path. Both engines."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


async def _group(
    http: httpx.AsyncClient, owner: api.TestUser, *members: api.TestUser
) -> httpx.Response:
    return await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [m.id for m in members]},
        headers=owner.auth,
    )


async def _channel_ids(http: httpx.AsyncClient, user: api.TestUser) -> list[str]:
    r = await http.get("/v1/channels", headers=user.auth)
    return [c["id"] for c in r.json()["channels"]]


async def test_strangers_cannot_put_you_in_a_group(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    owner, friend, victim = [await api.signup(http) for _ in range(3)]
    await api.befriend(http, owner, friend)
    me = (await http.get("/v1/me", headers=victim.auth)).json()
    assert me["group_adds"] == "friends"  # the default

    # Creating a group that names a stranger: refused, and nothing is created.
    r = await _group(http, owner, friend, victim)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert victim.id in r.json()["error"]["message"]
    assert await _channel_ids(http, owner) == [] and await _channel_ids(http, victim) == []

    # Adding a stranger to an existing group: refused, nothing changes.
    r = await _group(http, owner, friend)
    assert r.status_code == 201
    cid = r.json()["id"]
    r = await http.post(
        f"/v1/channels/{cid}/members", json={"user_id": victim.id}, headers=owner.auth
    )
    assert r.status_code == 403
    assert await _channel_ids(http, victim) == []
    r = await http.get(f"/v1/channels/{cid}", headers=owner.auth)
    assert sorted(r.json()["members"]) == sorted([owner.id, friend.id])

    # So the stranger shares no channel with the victim, and sees no presence.
    r = await http.get("/v1/presence", params={"user_ids": victim.id}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["presence"] == []


async def test_a_friend_may_add_and_you_may_leave_for_good(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    owner, admin, you = [await api.signup(http) for _ in range(3)]
    await api.befriend(http, owner, admin)
    await api.befriend(http, admin, you)
    cid = (await _group(http, owner, admin)).json()["id"]
    r = await http.patch(
        f"/v1/channels/{cid}/members/{admin.id}", json={"role": "admin"}, headers=owner.auth
    )
    assert r.status_code == 204
    # Your friend (an admin) adds you; the owner, a stranger to you, could not.
    r = await http.post(f"/v1/channels/{cid}/members", json={"user_id": you.id}, headers=admin.auth)
    assert r.status_code == 204
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{you.id}", headers=you.auth)
    ).status_code == 204
    # After you leave, the stranger cannot bring you back.
    r = await http.post(f"/v1/channels/{cid}/members", json={"user_id": you.id}, headers=owner.auth)
    assert r.status_code == 403
    assert cid not in await _channel_ids(http, you)


async def test_opening_group_adds_to_anyone(server: RunningServer, http: httpx.AsyncClient) -> None:
    owner, you = await api.signup(http), await api.signup(http)
    r = await http.patch("/v1/me", json={"group_adds": "anyone"}, headers=you.auth)
    assert r.status_code == 200 and r.json()["group_adds"] == "anyone"
    assert (await http.get("/v1/me", headers=you.auth)).json()["group_adds"] == "anyone"
    # The setting is the user's own: it does not show in their public profile.
    public = (await http.get(f"/v1/users/{you.id}", headers=owner.auth)).json()
    assert "group_adds" not in public
    assert (await _group(http, owner, you)).status_code == 201
    r = await http.patch("/v1/me", json={"group_adds": "everyone"}, headers=you.auth)
    assert r.status_code == 400
    r = await http.patch("/v1/me", json={"group_adds": "friends"}, headers=you.auth)
    assert r.json()["group_adds"] == "friends"
    assert (await _group(http, owner, you)).status_code == 403


async def test_unfriending_closes_the_direct_channel_on_every_path(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wa, wb = await WsClient.connect(server.ws_url), await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    await wb.hello(b.token)
    wa.send({"type": "send", "channel_id": channel, "client_msg_id": "before", "text": "hi"})
    assert (await wa.expect("sent"))["message_id"] == 1

    assert (await http.delete(f"/v1/friends/{a.id}", headers=b.auth)).status_code == 204
    for user, ws in ((a, wa), (b, wb)):  # both sides, HTTP and WebSocket
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"http-{user.id}", "text": "still there?"},
            headers=user.auth,
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
        ws.send({"type": "send", "channel_id": channel, "client_msg_id": "ws", "text": "hello?"})
        error = await ws.expect("error")
        assert error["code"] == "forbidden" and error["ref"] == "ws"
    # A resend of what was stored before still gets its acknowledgement back.
    wa.send({"type": "send", "channel_id": channel, "client_msg_id": "before", "text": "hi"})
    assert (await wa.expect("sent"))["message_id"] == 1
    history = await api.history(http, a, channel)
    assert [m["client_msg_id"] for m in history] == ["before"]  # history stays readable

    # Nor does it carry typing or read receipts between the two any more.
    wb.pending()
    wa.send({"type": "typing", "channel_id": channel})
    wa.send({"type": "read", "channel_id": channel, "message_id": 1})
    wa.send({"type": "ping"})
    await wa.expect("pong")  # both frames were taken before the ping ...
    (conn,) = server.app.hub.by_user[a.id]
    await wait_for(lambda: not conn._tasks)  # ... and fully handled
    wb.send({"type": "ping"})
    await wb.expect("pong")  # anything relayed to b would have come before this
    assert wb.pending() == []

    # Friends again: the same channel takes messages again.
    await api.befriend(http, b, a)
    wb.send({"type": "send", "channel_id": channel, "client_msg_id": "after", "text": "back"})
    assert (await wb.expect("sent"))["message_id"] == 2
    await wa.close()
    await wb.close()
