"""A block reaches the gateways holding either user's sockets: typing in a large group
(which goes out by channel) stops passing between them, on any gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.cluster.nodes import Cluster
from tests.helpers import api
from tests.helpers.wsclient import WsClient

SKIP = ("presence", "channel", "friend")


@pytest.fixture
def cluster_settings() -> dict[str, Any]:
    return {"typing_interval": 0.001}


async def _typing_then_message(
    group: str, typist: WsClient, typist_id: str, witness: WsClient, watcher: WsClient
) -> bool:
    """Whether `watcher` got the typist's typing frame. The witness, blocked by no one,
    gets it first, so it was published; the typist's message, published after it by the
    same gateway on the same route, reaches the watcher after it would have."""
    typist.send({"type": "typing", "channel_id": group})
    while (await witness.expect("typing", timeout=10))["user_id"] != typist_id:
        pass
    typist.send(
        {
            "type": "send",
            "channel_id": group,
            "client_msg_id": api.unique_name("m"),
            "text": "after typing",
        }
    )
    frames = []
    while True:
        frame = await watcher.recv(timeout=10)
        if frame["type"] == "message" and frame["message"]["text"] == "after typing":
            break
        frames.append(frame)
    return any(f["type"] == "typing" and f["user_id"] == typist_id for f in frames)


async def test_block_stops_typing_across_gateways(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    a, b, c, d = [await api.signup(http) for _ in range(4)]
    await api.befriend(http, a, b)
    await api.open_to_groups(http, b, c, d)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [b.id, c.id, d.id]},
        headers=a.auth,
    )
    group = r.json()["id"]
    assert r.json()["large"] is True  # four members, past the cluster's limit of three
    wa, wb, wc = [await WsClient.connect(cluster.gateways[i].ws_url) for i in range(3)]
    for ws, user in ((wa, a), (wb, b), (wc, c)):
        await ws.hello(user.token)
    assert await _typing_then_message(group, wb, b.id, wc, wa)
    r = await http.put(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 204
    # `friend removed` comes after the block's event on the same route: both gateways
    # hold the block once each user has it.
    for ws in (wa, wb):
        assert (await ws.expect("friend", timeout=10))["event"] == "removed"
    assert not await _typing_then_message(group, wb, b.id, wc, wa)
    assert not await _typing_then_message(group, wa, a.id, wc, wb)
    r = await http.delete(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 204
    # Nothing marks the unblock's arrival on a's gateway: typing passes again soon.
    for _ in range(50):
        if await _typing_then_message(group, wb, b.id, wc, wa):
            break
    else:
        raise AssertionError("typing never passed again after the unblock")
    for ws in (wa, wb, wc):
        await ws.close()
