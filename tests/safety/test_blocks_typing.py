"""Typing between users with a block between them, in groups of every size: held back
by the gateway from sets kept per socket (loaded at hello, changed by block and unblock)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient

SKIP = ("presence", "channel", "friend", "message")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A group of four fans out on read, of three on write; typing is not rate limited.
    return {"small_group_limit": 3, "typing_interval": 0.001}


async def _group(http: httpx.AsyncClient, owner: api.TestUser, *others: api.TestUser) -> str:
    await api.open_to_groups(http, *others)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [u.id for u in others]},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _typing_seen(
    group: str, typist: tuple[api.TestUser, WsClient], witness: WsClient, others: list[WsClient]
) -> list[bool]:
    """Whether each of `others` got the typist's typing frame. `witness` (blocked by no
    one) gets it first: one publish hands a frame to every socket of this process in
    turn, so a frame for the others is queued on theirs by then, ahead of a pong."""
    user, ws = typist
    ws.send({"type": "typing", "channel_id": group})
    while (await witness.expect("typing"))["user_id"] != user.id:
        pass
    seen = []
    for other in others:
        other.send({"type": "ping"})
        await other.expect("pong")
        frames = other.pending(ignore=SKIP)
        seen.append(any(f["type"] == "typing" and f["user_id"] == user.id for f in frames))
    return seen


@pytest.mark.parametrize("large", [True, False])
async def test_typing_stops_both_ways_and_comes_back(
    server: RunningServer, http: httpx.AsyncClient, large: bool
) -> None:
    users = [await api.signup(http) for _ in range(4 if large else 3)]
    a, b, c = users[:3]
    group = await _group(http, a, *users[1:])
    assert (await http.get(f"/v1/channels/{group}", headers=a.auth)).json()["large"] is large
    ws = {}
    for u in users:
        ws[u.id] = await WsClient.connect(server.ws_url)
        await ws[u.id].hello(u.token)
    wa, wb, wc = ws[a.id], ws[b.id], ws[c.id]
    assert await _typing_seen(group, (b, wb), wc, [wa]) == [True]
    r = await http.put(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 204
    # The blocker does not see the blocked user type, nor the other way round.
    assert await _typing_seen(group, (b, wb), wc, [wa]) == [False]
    assert await _typing_seen(group, (a, wa), wc, [wb]) == [False]
    # A socket opened while the block stands loads it at hello.
    late = await WsClient.connect(server.ws_url)
    await late.hello(b.token)
    assert await _typing_seen(group, (a, wa), wc, [late, wb]) == [False, False]
    # Unblocked: typing passes again, both ways, on every socket.
    r = await http.delete(f"/v1/blocks/{b.id}", headers=a.auth)
    assert r.status_code == 204
    assert await _typing_seen(group, (b, wb), wc, [wa]) == [True]
    assert await _typing_seen(group, (a, wa), wc, [wb, late]) == [True, True]
    for s in (*ws.values(), late):
        await s.close()
