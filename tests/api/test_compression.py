"""JSON answers of a kilobyte or more are gzipped for clients that accept it; small ones
(sends, acks, errors) and clients that do not ask are left alone."""

from __future__ import annotations

import gzip
import json

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer


async def test_large_json_is_gzipped_and_small_json_is_not(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    me = await api.signup(http)
    for _ in range(12):
        other = await api.signup(http)
        r = await http.post("/v1/friends/requests", json={"user_id": other.id}, headers=me.auth)
        assert r.status_code == 201
        accepted = await http.post(
            f"/v1/friends/requests/{r.json()['id']}/accept", headers=other.auth
        )
        assert accepted.status_code == 200
    # A raw client, so the body is seen as sent (httpx would decompress it).
    async with httpx.AsyncClient(base_url=server.base_url) as raw:
        gz = {**me.auth, "Accept-Encoding": "gzip"}
        async with raw.stream("GET", "/v1/friends", headers=gz) as r:
            assert r.status_code == 200
            assert r.headers["content-encoding"] == "gzip"
            assert "accept-encoding" in r.headers["vary"].lower()
            sent = b"".join([chunk async for chunk in r.aiter_raw()])
        friends = json.loads(gzip.decompress(sent))["friends"]
        assert len(friends) == 12
        assert len(sent) < len(json.dumps(friends)) / 2

        plain = await raw.get("/v1/friends", headers={**me.auth, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert len(plain.json()["friends"]) == 12

        small = await raw.get("/v1/me", headers=gz)
        assert small.status_code == 200 and "content-encoding" not in small.headers
