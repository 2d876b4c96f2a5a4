"""Muting a channel: forever or until a time; unread still moves; bad input."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import api


async def _channel(http: httpx.AsyncClient, user: api.TestUser, channel: str) -> dict[str, Any]:
    listed = (await http.get("/v1/channels", headers=user.auth)).json()["channels"]
    found: dict[str, Any] = next(c for c in listed if c["id"] == channel)
    return found


async def test_mute_forever_and_until(http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    assert "muted_until" not in await _channel(http, a, channel)
    assert (await http.put(f"/v1/channels/{channel}/mute", headers=a.auth)).status_code == 204
    assert (await _channel(http, a, channel))["muted_until"] == "9999-12-31T23:59:59.000Z"
    got = (await http.get(f"/v1/channels/{channel}", headers=a.auth)).json()
    assert got["muted_until"] == "9999-12-31T23:59:59.000Z"
    assert "muted_until" not in await _channel(http, b, channel)  # per user
    # Unread still moves while muted.
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "m1", "text": "hello"},
        headers=b.auth,
    )
    assert r.status_code == 201
    assert (await _channel(http, a, channel))["unread_count"] == 1
    r = await http.put(
        f"/v1/channels/{channel}/mute", json={"until": "2999-01-02T03:04:05Z"}, headers=a.auth
    )
    assert r.status_code == 204
    assert (await _channel(http, a, channel))["muted_until"] == "2999-01-02T03:04:05.000Z"
    assert (await http.delete(f"/v1/channels/{channel}/mute", headers=a.auth)).status_code == 204
    assert "muted_until" not in await _channel(http, a, channel)


async def test_mute_bad_input(http: httpx.AsyncClient) -> None:
    a, _, channel = await api.friends_in_chat(http)
    stranger = await api.signup(http)
    for until in ("yesterday", "2001-01-01T00:00:00Z", "2999-01-01T00:00:00", 5):
        r = await http.put(f"/v1/channels/{channel}/mute", json={"until": until}, headers=a.auth)
        assert r.status_code == 400, (until, r.text)
    r = await http.put(f"/v1/channels/{channel}/mute", headers=stranger.auth)
    assert r.status_code in (403, 404)
    r = await http.put("/v1/channels/cNoSuch/mute", headers=a.auth)
    assert r.status_code == 404
    assert "muted_until" not in await _channel(http, a, channel)
