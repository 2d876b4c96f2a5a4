"""Search on both engines: any script, the visibility rule, hostile queries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.messages.test_changes import _send


async def _search(http: httpx.AsyncClient, user: api.TestUser, **params: Any) -> list[str]:
    r = await http.get("/v1/search", params=params, headers=user.auth)
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["results"]]


async def test_scripts_and_syntax(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, cid = await api.friends_in_chat(http)
    texts = [
        "我们明天去北京吃饭",
        "Привет, как дела, друг",
        "مرحبا بكم في الدردشة",
        "party tonight 🎉🎉 bring snacks",
        'a "quoted" word * NEAR OR and 100% sure_thing',
        "ok so",
    ]
    for t in texts:
        await _send(http, a, cid, t)
    assert await _search(http, b, q="北京") == [texts[0]]  # a two-character word
    assert await _search(http, b, q="明天去北京") == [texts[0]]
    assert await _search(http, b, q="дела") == [texts[1]]
    assert await _search(http, b, q="ПРИВЕТ") in ([texts[1]], [])  # folding is per engine
    assert await _search(http, b, q="الدردشة") == [texts[2]]
    assert await _search(http, b, q="🎉") == [texts[3]]
    assert await _search(http, b, q="bring party") == [texts[3]]  # every term, any order
    assert await _search(http, b, q="PARTY") == [texts[3]]
    for q in ('"quoted"', "*", "NEAR", "OR", "100%", "sure_thing", '"'):
        assert await _search(http, b, q=q) == [texts[4]], q
    assert await _search(http, b, q="ok") == [texts[5]]
    assert await _search(http, b, q="%") == [texts[4]]
    assert await _search(http, b, q="nothing-like-this") == []
    assert await _search(http, b, q="北京", channel_id=cid) == [texts[0]]
    assert await _search(http, b, q="北京", channel_id=cid, before=1) == []
    assert len(await _search(http, b, q="a", limit=2)) == 2

    for params in (
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 10_000},
        {"q": "x", "limit": 0},
        {"q": "x", "limit": 100_000},
        {"q": "x", "before": 3},
    ):
        r = await http.get("/v1/search", params=params, headers=b.auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request", params
    assert (await http.get("/v1/search", params={"q": "x"})).status_code == 401


async def test_visibility(server: RunningServer, http: httpx.AsyncClient) -> None:
    owner, x, late, stranger = [await api.signup(http) for _ in range(4)]
    await api.open_to_groups(http, x, late)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [x.id]},
        headers=owner.auth,
    )
    cid = r.json()["id"]
    await _send(http, owner, cid, "before joining alpha")
    r = await http.post(
        f"/v1/channels/{cid}/members", json={"user_id": late.id}, headers=owner.auth
    )
    assert r.status_code == 204
    await _send(http, owner, cid, "after joining alpha")
    edited = await _send(http, owner, cid, "old words alpha")
    gone = await _send(http, owner, cid, "secret alpha")
    url = f"/v1/channels/{cid}/messages"
    assert (
        await http.patch(
            f"{url}/{edited['message_id']}", json={"text": "new words alpha"}, headers=owner.auth
        )
    ).status_code == 200
    assert (await http.delete(f"{url}/{gone['message_id']}", headers=owner.auth)).status_code == 204

    assert await _search(http, x, q="alpha") == [
        "new words alpha",
        "after joining alpha",
        "before joining alpha",
    ]
    assert await _search(http, late, q="alpha") == ["new words alpha", "after joining alpha"]
    assert await _search(http, x, q="old words") == []
    assert await _search(http, x, q="secret") == []
    assert await _search(http, stranger, q="alpha") == []
    assert await _search(http, stranger, q="alpha", channel_id=cid) == []

    # x is removed: nothing sent afterwards is found, nor anything of that channel.
    assert (
        await http.delete(f"/v1/channels/{cid}/members/{x.id}", headers=owner.auth)
    ).status_code == 204
    await _send(http, owner, cid, "later alpha")
    assert "later alpha" in await _search(http, late, q="alpha")
    assert await _search(http, x, q="alpha") == []
    assert await _search(http, x, q="later") == []


async def test_found_right_after_sending(server: RunningServer, http: httpx.AsyncClient) -> None:
    """Indexing may lag the send (SQLite indexes between commits): search must not."""
    a, b, cid = await api.friends_in_chat(http)
    for i in range(20):
        await _send(http, a, cid, f"fresh note{i:03d}")
        assert await _search(http, b, q=f"note{i:03d}") == [f"fresh note{i:03d}"]
    burst = [f"burst word{i:03d}" for i in range(60)]
    for start in range(0, len(burst), 20):
        await asyncio.gather(*(_send(http, a, cid, t) for t in burst[start : start + 20]))
    found = await _search(http, b, q="burst", limit=100)
    assert sorted(found) == sorted(burst)
    for t in burst[::9]:
        assert await _search(http, b, q=t) == [t]
