"""Replies, edits, deletes, reactions and mentions, on both engines: over HTTP, as
`update` frames with cursors, and through sync after being offline."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def _send(
    http: httpx.AsyncClient, user: api.TestUser, cid: str, text: str, **extra: Any
) -> dict[str, Any]:
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": api.unique_name("m"), "text": text, **extra},
        headers=user.auth,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _history(http: httpx.AsyncClient, user: api.TestUser, cid: str) -> list[dict[str, Any]]:
    r = await http.get(f"/v1/channels/{cid}/messages", headers=user.auth)
    assert r.status_code == 200, r.text
    messages: list[dict[str, Any]] = r.json()["messages"]
    return messages


def _react_url(cid: str, mid: int, emoji: str) -> str:
    return f"/v1/channels/{cid}/messages/{mid}/reactions/{quote(emoji, safe='')}"


async def _drain(ws: WsClient, cursor: int) -> tuple[dict[tuple[str, int], dict[str, Any]], int]:
    """Sync from `cursor` and apply every message and update frame, as a client does."""
    ws.send({"type": "sync", "cursor": cursor})
    state: dict[tuple[str, int], dict[str, Any]] = {}
    while True:
        f = await ws.recv()
        if f["type"] in ("message", "update"):
            assert f["cursor"] == cursor + 1, f  # every entry, in order, no gaps
            cursor = f["cursor"]
            m = f["message"]
            state[(m["channel_id"], m["message_id"])] = m
        elif f["type"] == "synced":
            return state, cursor


async def test_offline_device_converges(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, cid = await api.friends_in_chat(http)
    a2 = await api.login(http, a.username, device="phone")
    online = await WsClient.connect(server.ws_url)
    welcome = await online.hello(a.token, cursor=0)
    await online.expect("synced")
    start = welcome["cursor"]
    first = await _send(http, a, cid, "hello @" + b.username)
    assert first["mentions"] == [b.id] and first["reply_to"] is None
    second = await _send(http, b, cid, "answer", reply_to=first["message_id"])
    assert second["reply_to"] == first["message_id"]
    mid = first["message_id"]

    # An edit, a delete and three reaction changes while the phone is away.
    r = await http.patch(
        f"/v1/channels/{cid}/messages/{mid}", json={"text": "fixed"}, headers=a.auth
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["text"] == "fixed" and edited["edited_at"] is not None
    assert edited["mentions"] == []
    for user, emoji, put in ((a, "👍", True), (b, "👍", True), (b, "👍", False)):
        call = http.put if put else http.delete
        assert (await call(_react_url(cid, mid, emoji), headers=user.auth)).status_code == 204
    r = await http.delete(f"/v1/channels/{cid}/messages/{second['message_id']}", headers=b.auth)
    assert r.status_code == 204

    # The online device saw each change as an update frame with the next cursor.
    seen: list[tuple[str, int]] = []
    for _ in range(7):
        f = await online.recv()
        seen.append((f.get("event", f["type"]), f["cursor"]))
    assert [s[1] for s in seen] == list(range(start + 1, start + 8))
    assert [s[0] for s in seen] == [
        "message",
        "message",
        "edited",
        "reaction",
        "reaction",
        "reaction",
        "deleted",
    ]

    # The phone comes back from the same starting point and ends in the same state.
    phone = await WsClient.connect(server.ws_url)
    await phone.hello(a2.token)
    state, cursor = await _drain(phone, start)
    assert cursor == start + 7
    history = {(m["channel_id"], m["message_id"]): m for m in await _history(http, a, cid)}
    assert state == history
    m1 = history[(cid, mid)]
    assert m1["text"] == "fixed" and m1["reactions"] == {"👍": [a.id]}
    m2 = history[(cid, second["message_id"])]
    assert m2["deleted"] is True and m2["text"] == "" and m2["reactions"] == {}
    assert m2["sender_id"] == b.id and m2["created_at"] == second["created_at"]
    await online.close()
    await phone.close()


async def test_authorization_and_bad_input(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, cid = await api.friends_in_chat(http)
    outsider = await api.signup(http)
    m = await _send(http, a, cid, "original")
    mid = m["message_id"]
    url = f"/v1/channels/{cid}/messages/{mid}"

    async def unchanged() -> None:
        now = (await _history(http, a, cid))[-1]
        assert now["text"] == "original" and now["reactions"] == {} and not now["deleted"]

    # Someone else's message: no edit, no delete (b is no admin of a direct channel).
    assert (await http.patch(url, json={"text": "x"}, headers=b.auth)).status_code == 403
    assert (await http.delete(url, headers=b.auth)).status_code == 403
    assert (await http.patch(url, json={"text": "x"}, headers=outsider.auth)).status_code in (
        403,
        404,
    )
    assert (await http.put(_react_url(cid, mid, "👍"), headers=outsider.auth)).status_code in (
        403,
        404,
    )
    # Empty and 100,001-character edits.
    for text in ("", "x" * 100_001):
        r = await http.patch(url, json={"text": text}, headers=a.auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    # Unknown message ids.
    for bad in ("99", "0", "abc"):
        r = await http.patch(
            f"/v1/channels/{cid}/messages/{bad}", json={"text": "y"}, headers=a.auth
        )
        assert r.status_code == 404
    # Reactions of 33 characters or with control characters, or two emoji.
    for emoji in ("x" * 33, "a\u0007", "👍👍", "\u200d"):
        r = await http.put(_react_url(cid, mid, emoji), headers=b.auth)
        assert r.status_code == 400, emoji
    await unchanged()

    # Replies: to an unknown id or to a message of another channel.
    other = await api.signup(http)
    await api.befriend(http, a, other)
    cid2 = await api.direct(http, a, other)
    for _ in range(3):
        await _send(http, other, cid2, "elsewhere")
    for reply_to in (3, 99):
        r = await http.post(
            f"/v1/channels/{cid}/messages",
            json={"client_msg_id": "r" + str(reply_to), "text": "re", "reply_to": reply_to},
            headers=a.auth,
        )
        assert r.status_code == 400, r.text
    assert len(await _history(http, a, cid)) == 1

    # Short names and composed emoji are reactions too; adding twice is one reaction.
    for emoji in ("thumbsup", ":+1:", "👍🏽", "👨‍👩‍👧", "🇫🇷", "é"):
        assert (await http.put(_react_url(cid, mid, emoji), headers=b.auth)).status_code == 204
    assert (await http.put(_react_url(cid, mid, "thumbsup"), headers=b.auth)).status_code == 204
    reactions = (await _history(http, a, cid))[-1]["reactions"]
    assert reactions["thumbsup"] == [b.id] and len(reactions) == 6

    # Deleted: no edit, no reaction; deleting again changes nothing.
    assert (await http.delete(url, headers=a.auth)).status_code == 204
    assert (await http.patch(url, json={"text": "z"}, headers=a.auth)).status_code == 409
    assert (await http.put(_react_url(cid, mid, "👍"), headers=b.auth)).status_code == 409
    assert (await http.delete(url, headers=a.auth)).status_code == 204
    last = (await _history(http, a, cid))[-1]
    assert last["deleted"] and last["text"] == "" and last["reactions"] == {}


async def test_group_admin_deletes(server: RunningServer, http: httpx.AsyncClient) -> None:
    owner, x, y = [await api.signup(http) for _ in range(3)]
    await api.open_to_groups(http, x, y)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [x.id, y.id]},
        headers=owner.auth,
    )
    cid = r.json()["id"]
    m = await _send(http, x, cid, "by x")
    url = f"/v1/channels/{cid}/messages/{m['message_id']}"
    assert (await http.delete(url, headers=y.auth)).status_code == 403
    assert (await http.patch(url, json={"text": "owner?"}, headers=owner.auth)).status_code == 403
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(y.token)
    assert (await http.delete(url, headers=owner.auth)).status_code == 204
    f = await ws.expect("update")
    assert f["event"] == "deleted" and f["message"]["deleted"] and isinstance(f["cursor"], int)
    await ws.close()


async def test_send_frame_reply_and_mentions(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, cid = await api.friends_in_chat(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    first = await _send(http, a, cid, "first")
    await ws.expect("message")
    ws.send(
        {
            "type": "send",
            "channel_id": cid,
            "client_msg_id": "c1",
            "text": f"@{b.username.upper()} and @nobody_here, mail x@{b.username}",
            "reply_to": first["message_id"],
        }
    )
    await ws.expect("sent")
    f = await ws.expect("message")
    assert f["message"]["reply_to"] == first["message_id"]
    assert f["message"]["mentions"] == [b.id]
    ws.send({"type": "send", "channel_id": cid, "client_msg_id": "c2", "text": "x", "reply_to": 77})
    err = await ws.expect("error")
    assert err["code"] == "invalid_request" and err["ref"] == "c2"
    await ws.close()
