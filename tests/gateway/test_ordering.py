"""A frame the bus never delivered (or delivered late) is repaired from storage: every
device still sees its inbox in cursor order with no gaps."""

from __future__ import annotations

import time

import httpx
import pytest

from chinwag.messaging.models import SendRequest
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def test_dropped_frame_repaired_in_order(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    # Stored but never published: as if the bus had dropped it.
    store = server.app.services.store
    await store.messages.append(
        SendRequest(a.id, a.device_id, channel, "lost", "lost on the bus", int(time.time() * 1000))
    )
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "next", "text": "next"},
        headers=a.auth,
    )
    assert r.status_code == 201
    first = await wb.expect("message")
    second = await wb.expect("message")
    assert [first["cursor"], second["cursor"]] == [1, 2]
    assert [first["message"]["text"], second["message"]["text"]] == ["lost on the bus", "next"]
    await wb.close()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"small_group_limit": 2}


async def test_large_group_messages_in_id_order(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    await api.open_to_groups(http, b, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "big", "member_ids": [b.id, c.id]},
        headers=a.auth,
    )
    group = r.json()["id"]
    assert r.json()["large"] is True
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    store = server.app.services.store
    await store.messages.append(
        SendRequest(a.id, a.device_id, group, "g-lost", "lost", int(time.time() * 1000))
    )
    await http.post(
        f"/v1/channels/{group}/messages",
        json={"client_msg_id": "g-next", "text": "next"},
        headers=a.auth,
    )
    first = await wb.expect("message")
    second = await wb.expect("message")
    assert [first["message"]["message_id"], second["message"]["message_id"]] == [1, 2]
    assert first["cursor"] is None and second["cursor"] is None
    await wb.close()
