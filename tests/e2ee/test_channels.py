"""Encrypted channels: created or turned on (never off), ciphertext stored and relayed
unchanged, plaintext refused there, on both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2ee.keys import megolm
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"small_group_limit": 3}


async def test_encrypted_direct_channel_carries_only_ciphertext(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    r = await http.post(
        "/v1/channels", json={"kind": "direct", "user_id": b.id, "encrypted": True}, headers=a.auth
    )
    assert r.status_code == 201 and r.json()["encrypted"] is True
    cid = r.json()["id"]
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)

    r = await http.post(
        f"/v1/channels/{cid}/messages", json={"client_msg_id": "p1", "text": "hi"}, headers=a.auth
    )
    assert r.status_code == 400 and "encrypted" in r.json()["error"]["message"]
    body = megolm("AwgAEhAbCdEf+/")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "e1", "encrypted": body},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["text"] == "" and r.json()["encrypted"] == body
    frame = await wb.expect("message", skip=("presence",))
    assert frame["message"]["encrypted"] == body and frame["message"]["text"] == ""
    [stored] = await api.history(http, b, cid)
    assert stored["encrypted"] == body and stored["text"] == ""

    # Over the WebSocket too: plaintext refused, ciphertext taken.
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    wa.send({"type": "send", "channel_id": cid, "client_msg_id": "p2", "text": "plain"})
    err = await wa.expect("error", skip=("presence",))
    assert err["code"] == "invalid_request" and err["ref"] == "p2"
    wa.send({"type": "send", "channel_id": cid, "client_msg_id": "e2", "encrypted": body})
    sent = await wa.expect("sent", skip=("presence", "message"))
    assert sent["message_id"] == 2
    # Text and ciphertext together, or a bad algorithm, are refused.
    wa.send(
        {"type": "send", "channel_id": cid, "client_msg_id": "e3", "text": "x", "encrypted": body}
    )
    assert (await wa.expect("error", skip=("presence", "message")))["ref"] == "e3"
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "e4", "encrypted": {**body, "algorithm": "m.olm.v1"}},
        headers=a.auth,
    )
    assert r.status_code == 400
    # A non-member cannot post into it either way.
    c = await api.signup(http)
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "e5", "encrypted": body},
        headers=c.auth,
    )
    assert r.status_code == 403
    await wa.close()
    await wb.close()


async def test_owner_turns_a_group_encrypted_never_back(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    owner, member = await api.signup(http), await api.signup(http)
    await api.befriend(http, owner, member)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [member.id]},
        headers=owner.auth,
    )
    cid = r.json()["id"]
    assert r.json()["encrypted"] is False
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "x", "encrypted": megolm()},
        headers=owner.auth,
    )
    assert r.status_code == 400  # not encrypted yet: no ciphertext either
    await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "before", "text": "before"},
        headers=owner.auth,
    )
    wm = await WsClient.connect(server.ws_url)
    await wm.hello(member.token)
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=member.auth)
    assert r.status_code == 403
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": False}, headers=owner.auth)
    assert r.status_code == 400
    stranger = await api.signup(http)
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=stranger.auth)
    assert r.status_code == 403
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["encrypted"] is True
    frame = await wm.expect("channel", skip=("presence",))
    assert frame["event"] == "encrypted" and frame["channel"]["encrypted"] is True
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "after", "text": "after"},
        headers=member.auth,
    )
    assert r.status_code == 400
    r = await http.get(f"/v1/channels/{cid}", headers=member.auth)
    assert r.json()["encrypted"] is True
    listed = (await http.get("/v1/channels", headers=member.auth)).json()["channels"]
    assert [c["encrypted"] for c in listed if c["id"] == cid] == [True]
    # Earlier plaintext stays as it was; turning on again changes nothing.
    assert [m["text"] for m in await api.history(http, owner, cid)] == ["before"]
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["encrypted"] is True
    await wm.close()


async def test_plaintext_may_not_pose_as_ciphertext(http: httpx.AsyncClient) -> None:
    a, _, cid = await api.friends_in_chat(http)
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "m", "text": "\u0001e2ee:" + '{"algorithm":"x"}'},
        headers=a.auth,
    )
    assert r.status_code == 400


async def test_encrypted_groups_stay_small(
    http: httpx.AsyncClient,
) -> None:
    owner = await api.signup(http)
    others = [await api.signup(http) for _ in range(3)]
    await api.open_to_groups(http, *others)
    r = await http.post(
        "/v1/channels",
        json={
            "kind": "group",
            "name": "big",
            "member_ids": [o.id for o in others],
            "encrypted": True,
        },
        headers=owner.auth,
    )
    assert r.status_code == 400  # the test server's small-group limit is 3
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "ok", "member_ids": [others[0].id], "encrypted": True},
        headers=owner.auth,
    )
    assert r.status_code == 201 and r.json()["encrypted"] is True
    cid = r.json()["id"]
    for o in others[1:]:
        r = await http.post(
            f"/v1/channels/{cid}/members", json={"user_id": o.id}, headers=owner.auth
        )
    assert r.status_code == 400  # the fourth member would pass the limit
