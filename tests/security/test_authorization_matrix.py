"""Every route and frame, tried by those who must not: nobody reads or changes what they
should not, and each gets the contract's error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chinwag.api.table import ENDPOINTS
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@dataclass
class World:
    owner: api.TestUser
    member: api.TestUser
    stranger: api.TestUser
    former: api.TestUser
    logged_out: api.TestUser
    group: str
    direct: str
    request_id: str
    subscription: str


async def _world(http: httpx.AsyncClient) -> World:
    owner, member, stranger, former, target = [await api.signup(http) for _ in range(5)]
    await api.befriend(http, owner, member)
    direct = await api.direct(http, owner, member)
    await api.open_to_groups(http, former)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [member.id, former.id]},
        headers=owner.auth,
    )
    group = r.json()["id"]
    for ch in (group, direct):
        r = await http.post(
            f"/v1/channels/{ch}/messages",
            json={"client_msg_id": f"seed-{ch}", "text": "secret"},
            headers=owner.auth,
        )
        assert r.status_code == 201
    assert (
        await http.delete(f"/v1/channels/{group}/members/{former.id}", headers=owner.auth)
    ).status_code == 204
    req = (
        await http.post("/v1/friends/requests", json={"user_id": target.id}, headers=owner.auth)
    ).json()
    sub = (
        await http.post(
            "/v1/push/subscriptions", json={"kind": "fcm", "token": "t"}, headers=owner.auth
        )
    ).json()
    logged_out = await api.login(http, member.username, device="gone")
    assert (await http.delete("/v1/sessions/current", headers=logged_out.auth)).status_code == 204
    return World(owner, member, stranger, former, logged_out, group, direct, req["id"], sub["id"])


def _calls(w: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    g, d = w.group, w.direct
    return [
        ("GET", f"/v1/channels/{g}", None),
        ("GET", f"/v1/channels/{d}", None),
        ("GET", f"/v1/channels/{g}/messages", None),
        ("GET", f"/v1/channels/{d}/messages", None),
        ("POST", f"/v1/channels/{g}/messages", {"client_msg_id": "x", "text": "intrude"}),
        ("POST", f"/v1/channels/{d}/messages", {"client_msg_id": "y", "text": "intrude"}),
        ("GET", f"/v1/channels/{g}/members", None),
        ("POST", f"/v1/channels/{g}/members", {"user_id": w.stranger.id}),
        ("DELETE", f"/v1/channels/{g}/members/{w.member.id}", None),
        ("PATCH", f"/v1/channels/{g}/members/{w.member.id}", {"role": "admin"}),
        ("POST", f"/v1/channels/{g}/read", {"message_id": 1}),
        ("PATCH", f"/v1/channels/{g}", {"encrypted": True}),
        ("PATCH", f"/v1/channels/{d}", {"encrypted": True}),
        ("POST", f"/v1/friends/requests/{w.request_id}/accept", None),
        ("POST", f"/v1/friends/requests/{w.request_id}/decline", None),
        ("DELETE", f"/v1/push/subscriptions/{w.subscription}", None),
        ("POST", "/v1/channels", {"kind": "direct", "user_id": w.owner.id}),
        ("DELETE", f"/v1/friends/{w.owner.id}", None),
        # Safety and accounts.
        ("PUT", f"/v1/channels/{g}/mute", None),
        ("DELETE", f"/v1/channels/{g}/mute", None),
        ("PUT", f"/v1/channels/{d}/mute", {"until": "2999-01-01T00:00:00Z"}),
        ("DELETE", f"/v1/channels/{d}/mute", None),
        ("POST", "/v1/reports", {"channel_id": g, "message_id": 1, "reason": "r"}),
        ("POST", "/v1/reports", {"channel_id": d, "message_id": 1, "reason": "r"}),
        ("DELETE", f"/v1/sessions/{w.owner.device_id}", None),
        ("DELETE", f"/v1/blocks/{w.owner.id}", None),
        ("GET", "/v1/admin/users?username=", None),
        ("GET", "/v1/admin/reports", None),
        ("POST", f"/v1/admin/users/{w.owner.id}/deactivate", None),
        ("POST", f"/v1/admin/users/{w.owner.id}/reactivate", None),
        ("PATCH", f"/v1/channels/{g}/messages/1", {"text": "changed"}),
        ("PATCH", f"/v1/channels/{d}/messages/1", {"text": "changed"}),
        ("DELETE", f"/v1/channels/{g}/messages/1", None),
        ("DELETE", f"/v1/channels/{d}/messages/1", None),
        ("PUT", f"/v1/channels/{g}/messages/1/reactions/ok", None),
        ("PUT", f"/v1/channels/{d}/messages/1/reactions/ok", None),
        ("DELETE", f"/v1/channels/{g}/messages/1/reactions/ok", None),
    ]


async def _unchanged(http: httpx.AsyncClient, w: World) -> None:
    for ch in (w.group, w.direct):
        msgs = await api.history(http, w.owner, ch)
        assert [m["text"] for m in msgs] == ["secret"]
        assert [(m["deleted"], m["reactions"], m["edited_at"]) for m in msgs] == [(False, {}, None)]
    members = (await http.get(f"/v1/channels/{w.group}/members", headers=w.owner.auth)).json()[
        "members"
    ]
    assert {m["user_id"]: m["role"] for m in members} == {
        w.owner.id: "owner",
        w.member.id: "member",
    }
    for ch in (w.group, w.direct):
        shown = (await http.get(f"/v1/channels/{ch}", headers=w.owner.auth)).json()
        assert shown["encrypted"] is False
    outgoing = (await http.get("/v1/friends/requests", headers=w.owner.auth)).json()["outgoing"]
    assert [r["id"] for r in outgoing] == [w.request_id]
    # The owner's device is alive, not deactivated, and blocks nobody.
    sessions = (await http.get("/v1/sessions", headers=w.owner.auth)).json()["sessions"]
    assert [x["device_id"] for x in sessions] == [w.owner.device_id]
    assert (await http.get("/v1/blocks", headers=w.owner.auth)).json()["users"] == []
    # The owner's push subscription survived every attempt (removing it proves it).
    r = await http.delete(f"/v1/push/subscriptions/{w.subscription}", headers=w.owner.auth)
    assert r.status_code == 204


@pytest.mark.parametrize("actor", ["stranger", "former"])
async def test_outsiders_are_refused(http: httpx.AsyncClient, actor: str) -> None:
    w = await _world(http)
    who: api.TestUser = getattr(w, actor)
    for method, path, body in _calls(w):
        r = await http.request(method, path, json=body, headers=who.auth)
        assert r.status_code in (403, 404), (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] in ("forbidden", "not_found")
        assert "secret" not in r.text
    r = await http.get("/v1/presence", params={"user_ids": w.owner.id}, headers=who.auth)
    assert r.json()["presence"] == []
    await _unchanged(http, w)


@pytest.mark.parametrize("actor", ["unauthenticated", "logged_out", "garbage"])
async def test_no_valid_token_gets_401_everywhere(http: httpx.AsyncClient, actor: str) -> None:
    w = await _world(http)
    headers = {
        "unauthenticated": {},
        "logged_out": w.logged_out.auth,
        "garbage": {"Authorization": "Bearer " + "A" * 43},
    }[actor]
    for e in ENDPOINTS:
        if not e.auth:
            continue
        path = e.path.replace("{channel_id}", w.group).replace("{user_id}", w.member.id)
        path = path.replace("{request_id}", w.request_id).replace(
            "{subscription_id}", w.subscription
        )
        path = path.replace("{device_id}", w.owner.device_id).replace("{id}", w.owner.id)
        r = await http.request(e.method, path, json={}, headers=headers)
        assert r.status_code == 401, (e.method, path, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized"
    await _unchanged(http, w)


async def test_member_cannot_administer(http: httpx.AsyncClient) -> None:
    w = await _world(http)
    m = w.member.auth
    assert (
        await http.post(
            f"/v1/channels/{w.group}/members", json={"user_id": w.stranger.id}, headers=m
        )
    ).status_code == 403
    assert (
        await http.delete(f"/v1/channels/{w.group}/members/{w.owner.id}", headers=m)
    ).status_code == 403
    assert (
        await http.patch(
            f"/v1/channels/{w.group}/members/{w.member.id}", json={"role": "admin"}, headers=m
        )
    ).status_code == 403
    assert (
        await http.delete(f"/v1/push/subscriptions/{w.subscription}", headers=m)
    ).status_code == 404
    r = await http.patch(f"/v1/channels/{w.group}", json={"encrypted": True}, headers=m)
    assert r.status_code == 403  # only the owner turns a group encrypted
    await _unchanged(http, w)


@pytest.mark.parametrize("actor", ["stranger", "former"])
async def test_outsider_frames_refused(
    server: RunningServer, http: httpx.AsyncClient, actor: str
) -> None:
    w = await _world(http)
    who: api.TestUser = getattr(w, actor)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(who.token, cursor=0)
    replay = []
    while True:
        frame = await ws.recv()
        if frame["type"] == "synced":
            break
        replay.append(frame)
    # The former member's own inbox keeps what it had before removal; nothing after.
    texts = [f["message"]["text"] for f in replay if f["type"] == "message"]
    assert texts == (["secret"] if actor == "former" else [])
    for ch in (w.group, w.direct):
        ws.send({"type": "send", "channel_id": ch, "client_msg_id": f"x-{ch}", "text": "intrude"})
        err = await ws.expect("error")
        assert err["code"] in ("forbidden", "not_found") and err["ref"] == f"x-{ch}"
        ws.send({"type": "typing", "channel_id": ch})
        assert (await ws.expect("error"))["code"] in ("forbidden", "not_found")
        ws.send({"type": "read", "channel_id": ch, "message_id": 1})
        assert (await ws.expect("error"))["code"] in ("forbidden", "not_found")
    await ws.close()
    await _unchanged(http, w)


async def test_revoked_and_missing_tokens_on_socket(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    w = await _world(http)
    for token in (w.logged_out.token, "", "x" * 300):
        ws = await WsClient.connect(server.ws_url)
        ws.send({"type": "hello", "token": token})
        assert await ws.closed() == 4001
    ws = await WsClient.connect(server.ws_url)
    ws.send({"type": "send", "channel_id": w.group, "client_msg_id": "z", "text": "no hello"})
    assert await ws.closed() == 4000
    await _unchanged(http, w)
