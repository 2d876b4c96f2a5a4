"""Changes to messages of a large group (fan-out on read): live `update` frames with no
cursor, no inbox entries, and history with the current state."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"small_group_limit": 2, "max_group_size": 100}


async def test_large_group_updates_are_live(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    await api.open_to_groups(http, b, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "big", "member_ids": [b.id, c.id]},
        headers=a.auth,
    )
    cid = r.json()["id"]
    assert r.json()["large"] is True
    wb = await WsClient.connect(server.ws_url)
    welcome = await wb.hello(b.token)
    r = await http.post(
        f"/v1/channels/{cid}/messages", json={"client_msg_id": "x1", "text": "hi"}, headers=a.auth
    )
    mid = r.json()["message_id"]
    assert (await wb.expect("message"))["cursor"] is None
    url = f"/v1/channels/{cid}/messages/{mid}"
    assert (await http.patch(url, json={"text": "hello"}, headers=a.auth)).status_code == 200
    assert (await http.put(f"{url}/reactions/ok", headers=c.auth)).status_code == 204
    edited, reacted = await wb.expect("update"), await wb.expect("update")
    assert (edited["event"], edited["cursor"], edited["message"]["text"]) == (
        "edited",
        None,
        "hello",
    )
    assert reacted["message"]["reactions"] == {"ok": [c.id]}
    # Nothing went into the inbox: a sync from the welcome's cursor replays nothing.
    wb.send({"type": "sync", "cursor": welcome["cursor"]})
    assert (await wb.expect("synced"))["cursor"] == welcome["cursor"]
    [m] = await api.history(http, b, cid)
    assert m["text"] == "hello" and m["edited_at"] and m["reactions"] == {"ok": [c.id]}
    await wb.close()
