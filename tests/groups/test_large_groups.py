"""Fan-out on read: large groups, the strategy switch, and catch-up by history."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from chinwag.accounts.models import NewUser, ProfileChanges
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient

OPEN = ProfileChanges(group_adds="anyone")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"small_group_limit": 3, "max_group_size": 25_000}


async def test_strategy_switch_loses_and_repeats_nothing(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c, d = [await api.signup(http) for _ in range(4)]
    await api.open_to_groups(http, b, c, d)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "grow", "member_ids": [b.id, c.id]},
        headers=a.auth,
    )
    cid = r.json()["id"]
    assert r.json()["large"] is False
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token, cursor=0)
    await wb.expect("synced")
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    for i in range(3):
        wa.send({"type": "send", "channel_id": cid, "client_msg_id": f"s{i}", "text": "small"})
        await wa.expect("sent")
    small = [await wb.expect("message") for _ in range(3)]
    assert [f["cursor"] for f in small] == [1, 2, 3]
    # The fourth member pushes the group past the limit: fan-out on read from now on.
    assert (
        await http.post(f"/v1/channels/{cid}/members", json={"user_id": d.id}, headers=a.auth)
    ).status_code == 204
    info = (await http.get(f"/v1/channels/{cid}", headers=a.auth)).json()
    assert info["large"] is True and info["member_count"] == 4
    for i in range(3, 6):
        wa.send({"type": "send", "channel_id": cid, "client_msg_id": f"s{i}", "text": "large"})
        await wa.expect("sent")
    large = [await wb.expect("message") for _ in range(3)]
    assert [f["cursor"] for f in large] == [None, None, None]
    assert [f["message"]["message_id"] for f in small + large] == [1, 2, 3, 4, 5, 6]
    # No inbox entries after the switch: a reconnect with the old cursor replays nothing,
    # and welcome tells the device where the group stands.
    await wb.close()
    wb = await WsClient.connect(server.ws_url)
    welcome = await wb.hello(b.token, cursor=3)
    assert welcome["large_groups"] == [{"channel_id": cid, "last_message_id": 6}]
    assert (await wb.expect("synced"))["cursor"] == 3
    assert [m["message_id"] for m in await api.history(http, b, cid, after=3)] == [4, 5, 6]
    await wa.close()
    await wb.close()


async def test_20000_member_group(server: RunningServer, http: httpx.AsyncClient) -> None:
    owner = await api.signup(http)
    online = [await api.signup(http) for _ in range(4)]
    await api.open_to_groups(http, *online)
    store = server.app.services.store
    now = int(time.time() * 1000)
    bulk = [
        NewUser(f"ubulk{i:06d}", f"bulk{i:06d}", "x", f"bulk {i}", now) for i in range(20_000 - 5)
    ]
    for i in range(0, len(bulk), 2000):
        await asyncio.gather(*[store.accounts.create_user(u) for u in bulk[i : i + 2000]])
        await asyncio.gather(
            *[store.accounts.update_profile(u.id, OPEN) for u in bulk[i : i + 2000]]
        )
    member_ids = [u.id for u in online] + [u.id for u in bulk]
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "town", "member_ids": member_ids},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    group = r.json()
    cid = group["id"]
    assert group["member_count"] == 20_000 and group["large"] is True and "members" not in group

    sockets = []
    for user in online:
        ws = await WsClient.connect(server.ws_url)
        welcome = await ws.hello(user.token)
        assert {"channel_id": cid, "last_message_id": 0} in welcome["large_groups"]
        sockets.append(ws)
    wo = await WsClient.connect(server.ws_url)
    await wo.hello(owner.token)
    for i in range(5):
        wo.send(
            {
                "type": "send",
                "channel_id": cid,
                "client_msg_id": f"t{i}",
                "text": f"to everyone {i}",
            }
        )
        await wo.expect("sent")
    for ws in sockets:
        got = [await ws.expect("message") for _ in range(5)]
        assert [f["message"]["message_id"] for f in got] == [1, 2, 3, 4, 5]
        assert all(f["cursor"] is None for f in got)
    # A member who was offline catches up by history after its last message id.
    late = sockets.pop()
    await late.close()
    for i in range(5, 9):
        wo.send({"type": "send", "channel_id": cid, "client_msg_id": f"t{i}", "text": "more"})
        await wo.expect("sent")
    back = await WsClient.connect(server.ws_url)
    welcome = await back.hello(online[-1].token)
    assert {"channel_id": cid, "last_message_id": 9} in welcome["large_groups"]
    caught = await api.history(http, online[-1], cid, after=5)
    assert [m["message_id"] for m in caught] == [6, 7, 8, 9]
    # Lists and presence stay usable for such a group.
    listed = (await http.get("/v1/channels", headers=online[0].auth)).json()["channels"]
    assert next(c for c in listed if c["id"] == cid)["member_count"] == 20_000
    r = await http.get(
        "/v1/presence", params={"user_ids": ",".join(u.id for u in online)}, headers=owner.auth
    )
    assert {p["user_id"]: p["status"] for p in r.json()["presence"]} == {
        online[0].id: "online",
        online[1].id: "online",
        online[2].id: "online",
        online[3].id: "online",
    }
    for ws in (*sockets, wo, back):
        await ws.close()
