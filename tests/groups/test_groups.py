"""Groups: roles and permissions, member events, receipts and typing."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def _group(
    http: httpx.AsyncClient, owner: api.TestUser, members: list[api.TestUser], name: str = "team"
) -> dict[str, object]:
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": name, "member_ids": [m.id for m in members]},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def _roles(http: httpx.AsyncClient, user: api.TestUser, channel: str) -> dict[str, str]:
    r = await http.get(f"/v1/channels/{channel}/members", headers=user.auth)
    assert r.status_code == 200, r.text
    return {m["user_id"]: m["role"] for m in r.json()["members"]}


async def test_roles_and_permissions(server: RunningServer, http: httpx.AsyncClient) -> None:
    owner, x, y, z, w = [await api.signup(http) for _ in range(5)]
    await api.open_to_groups(http, x, y, z, w)
    wz = await WsClient.connect(server.ws_url)
    await wz.hello(z.token)
    g = await _group(http, owner, [x, y])
    cid = str(g["id"])
    assert g["kind"] == "group" and g["member_count"] == 3 and g["name"] == "team"
    assert sorted(g["members"]) == sorted([owner.id, x.id, y.id])  # type: ignore[arg-type]
    assert await _roles(http, owner, cid) == {owner.id: "owner", x.id: "member", y.id: "member"}

    # A plain member cannot add or remove others.
    r = await http.post(f"/v1/channels/{cid}/members", json={"user_id": z.id}, headers=x.auth)
    assert r.status_code == 403
    r = await http.delete(f"/v1/channels/{cid}/members/{y.id}", headers=x.auth)
    assert r.status_code == 403
    # Outsiders cannot either, nor read it.
    r = await http.post(f"/v1/channels/{cid}/members", json={"user_id": z.id}, headers=w.auth)
    assert r.status_code in (403, 404)
    # The owner adds z; z's device hears of it.
    r = await http.post(f"/v1/channels/{cid}/members", json={"user_id": z.id}, headers=owner.auth)
    assert r.status_code == 204
    ev = await wz.expect("channel")
    assert ev["event"] == "member_added" and ev["channel"]["id"] == cid and ev["user_id"] == z.id
    # Duplicates, unknown users, bad bodies: clear errors, nothing changes.
    assert (
        await http.post(f"/v1/channels/{cid}/members", json={"user_id": z.id}, headers=owner.auth)
    ).status_code == 409
    assert (
        await http.post(
            f"/v1/channels/{cid}/members", json={"user_id": "uNoSuch"}, headers=owner.auth
        )
    ).status_code == 404
    assert (
        await http.post(f"/v1/channels/{cid}/members", json={}, headers=owner.auth)
    ).status_code == 400
    # Promote x to admin: x may now add and remove members, but not the owner.
    r = await http.patch(
        f"/v1/channels/{cid}/members/{x.id}", json={"role": "admin"}, headers=owner.auth
    )
    assert r.status_code == 204
    r = await http.patch(
        f"/v1/channels/{cid}/members/{y.id}", json={"role": "admin"}, headers=x.auth
    )
    assert r.status_code == 403
    assert (
        await http.post(f"/v1/channels/{cid}/members", json={"user_id": w.id}, headers=x.auth)
    ).status_code == 204
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{w.id}", headers=x.auth)
    ).status_code == 204
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{owner.id}", headers=x.auth)
    ).status_code == 403
    # The removed member can no longer read the group.
    assert (await http.get(f"/v1/channels/{cid}/messages", headers=w.auth)).status_code in (
        403,
        404,
    )
    # Anyone may leave; when the owner leaves, the oldest admin becomes owner.
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{y.id}", headers=y.auth)
    ).status_code == 204
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{owner.id}", headers=owner.auth)
    ).status_code == 204
    roles = await _roles(http, x, cid)
    assert roles == {x.id: "owner", z.id: "member"}
    # Then, with no admin, the oldest member inherits.
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{x.id}", headers=x.auth)
    ).status_code == 204
    assert await _roles(http, z, cid) == {z.id: "owner"}
    await wz.close()


async def test_group_create_errors(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.open_to_groups(http, a, b)
    cases = [
        {"kind": "group", "name": "", "member_ids": [b.id]},
        {"kind": "group", "name": "x" * 101, "member_ids": [b.id]},
        {"kind": "group", "name": "dups", "member_ids": [b.id, b.id]},
        {"kind": "group", "name": "ghost", "member_ids": [b.id, "uNoSuchUser"]},
        {"kind": "group", "name": "bad", "member_ids": "nope"},
        {"kind": "group"},
    ]
    for body in cases:
        r = await http.post("/v1/channels", json=body, headers=a.auth)
        assert r.status_code == 400, (body, r.text)
    assert (await http.get("/v1/channels", headers=b.auth)).json()["channels"] == []


async def test_receipts_unread_and_typing(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    await api.open_to_groups(http, a, b, c)
    g = await _group(http, a, [b, c])
    cid = str(g["id"])
    wa, wb, wc = [await WsClient.connect(server.ws_url) for _ in range(3)]
    for ws, u in ((wa, a), (wb, b), (wc, c)):
        await ws.hello(u.token)
    for i in range(3):
        wa.send({"type": "send", "channel_id": cid, "client_msg_id": f"g{i}", "text": f"m{i}"})
        await wa.expect("sent")
    for ws in (wb, wc):
        assert [(await ws.expect("message"))["message"]["message_id"] for _ in range(3)] == [
            1,
            2,
            3,
        ]
    chans = {
        ch["id"]: ch for ch in (await http.get("/v1/channels", headers=b.auth)).json()["channels"]
    }
    assert chans[cid]["unread_count"] == 3 and chans[cid]["last_message_id"] == 3
    wb.send({"type": "read", "channel_id": cid, "message_id": 2})
    for ws in (wa, wc):
        receipt = await ws.expect("read")
        assert receipt == {"type": "read", "channel_id": cid, "user_id": b.id, "message_id": 2}
    chans = {
        ch["id"]: ch for ch in (await http.get("/v1/channels", headers=b.auth)).json()["channels"]
    }
    assert chans[cid]["last_read_message_id"] == 2 and chans[cid]["unread_count"] == 1
    # A read marker never goes back; receipts for messages that do not exist are refused.
    wb.send({"type": "read", "channel_id": cid, "message_id": 1})
    await wa.expect("read")
    assert {
        m["user_id"]: m["last_read_message_id"]
        for m in (await http.get(f"/v1/channels/{cid}/members", headers=a.auth)).json()["members"]
    }[b.id] == 2
    wb.send({"type": "read", "channel_id": cid, "message_id": 99})
    assert (await wb.expect("error"))["code"] == "not_found"
    r = await http.post(f"/v1/channels/{cid}/read", json={"message_id": 3}, headers=c.auth)
    assert r.status_code == 204
    # Typing reaches the others, not the typist, and is never stored.
    wc.send({"type": "typing", "channel_id": cid})
    for ws in (wa, wb):
        assert await ws.expect("typing") == {"type": "typing", "channel_id": cid, "user_id": c.id}
    wc.send({"type": "typing", "channel_id": cid})  # within the interval: dropped quietly
    wc.send({"type": "ping"})
    await wc.expect("pong")
    assert [f for f in wc.pending() if f["type"] in ("typing", "error")] == []
    assert len(await api.history(http, a, cid)) == 3
    # Outsiders: typing and read are refused.
    d = await api.signup(http)
    await api.open_to_groups(http, d)
    wd = await WsClient.connect(server.ws_url)
    await wd.hello(d.token)
    wd.send({"type": "typing", "channel_id": cid})
    assert (await wd.expect("error"))["code"] == "forbidden"
    wd.send({"type": "read", "channel_id": cid, "message_id": 1})
    assert (await wd.expect("error"))["code"] == "forbidden"
    for ws in (wa, wb, wc, wd):
        await ws.close()


async def test_removed_member_stops_receiving_at_once(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.open_to_groups(http, a, b)
    g = await _group(http, a, [b])
    cid = str(g["id"])
    wa, wb = await WsClient.connect(server.ws_url), await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    await wb.hello(b.token)
    wa.send({"type": "send", "channel_id": cid, "client_msg_id": "before", "text": "before"})
    assert (await wb.expect("message"))["message"]["text"] == "before"
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{b.id}", headers=a.auth)
    ).status_code == 204
    ev = await wb.expect("channel")
    assert ev["event"] == "member_removed" and ev["user_id"] == b.id
    wa.send({"type": "send", "channel_id": cid, "client_msg_id": "after", "text": "after"})
    await wa.expect("sent")
    wb.send({"type": "ping"})
    await wb.expect("pong")
    assert [f for f in wb.pending() if f["type"] == "message"] == []
    wb.send({"type": "send", "channel_id": cid, "client_msg_id": "x", "text": "let me in"})
    assert (await wb.expect("error"))["code"] == "forbidden"
    assert (await http.get(f"/v1/channels/{cid}/messages", headers=b.auth)).status_code == 403
    await wa.close()
    await wb.close()


async def test_own_messages_are_not_unread(http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    for i in range(3):
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"o{i}", "text": "x"},
            headers=a.auth,
        )
        assert r.status_code == 201
    mine = (await http.get("/v1/channels", headers=a.auth)).json()["channels"][0]
    theirs = (await http.get("/v1/channels", headers=b.auth)).json()["channels"][0]
    assert (mine["unread_count"], mine["last_read_message_id"]) == (0, 3)
    assert (theirs["unread_count"], theirs["last_read_message_id"]) == (3, 0)
