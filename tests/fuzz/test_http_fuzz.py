"""Every HTTP route under hostile input, against a real server on each engine: well
formed JSON of the wrong shape, raw bytes and JSON made hostile (bad UTF-8, U+0000,
deep nesting, huge numbers) in every body, and odd path segments. Never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.api.table import ENDPOINTS
from tests.fuzz import hostile
from tests.helpers.server import ThreadedServer, test_settings

FIELDS = [
    "username",
    "password",
    "display_name",
    "device_name",
    "avatar_url",
    "avatar_id",
    "status_text",
    "current_password",
    "new_password",
    "user_id",
    "kind",
    "name",
    "member_ids",
    "role",
    "client_msg_id",
    "text",
    "message_id",
    "endpoint",
    "keys",
    "token",
    "url",
    "p256dh",
    "auth",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(
        ["direct", "group", "webpush", "fcm", "apns", "webhook", "admin", "https://x.example/p"]
    )
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), c, max_size=3),
    max_leaves=8,
)
bodies = st.one_of(st.dictionaries(st.sampled_from(FIELDS), values, max_size=6), values)
WITH_BODY = [e for e in ENDPOINTS if e.method in ("POST", "PATCH")]
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
# Every route gets these, on both engines: fewer examples each keeps the run short.
BROAD = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


class World:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        tokens = []
        ids = []
        for name in ("fuzza", "fuzzb"):
            http.post("/v1/users", json={"username": name, "password": "fuzz-password"})
            r = http.post("/v1/sessions", json={"username": name, "password": "fuzz-password"})
            tokens.append(r.json()["token"])
            ids.append(r.json()["user"]["id"])
        self.auth = {"Authorization": f"Bearer {tokens[0]}"}
        self.other = ids[1]
        req = http.post("/v1/friends/requests", json={"user_id": ids[1]}, headers=self.auth).json()
        http.post(
            f"/v1/friends/requests/{req['id']}/accept",
            headers={"Authorization": f"Bearer {tokens[1]}"},
        )
        self.channel = http.post(
            "/v1/channels", json={"kind": "direct", "user_id": ids[1]}, headers=self.auth
        ).json()["id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, engine_url: str) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    # Rate limits off: the fuzzer signs up and sends far more than a person would.
    settings = test_settings(data, engine_url, sends_per_user_per_sec=1e9, send_burst=10**9)
    with ThreadedServer(settings) as srv, httpx.Client(base_url=srv.base_url, timeout=30) as http:
        yield World(http)


def _path(world: World, endpoint: Any) -> str:
    path = endpoint.path.replace("{channel_id}", world.channel).replace("{user_id}", world.other)
    return re.sub(r"{\w+}", "x1", path)


def _sound(r: httpx.Response, sent: object) -> None:
    """Not a 500, and any refusal in the contract's JSON shape."""
    assert r.status_code < 500, (repr(sent)[:300], r.text[:200])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/json"), repr(sent)[:300]
        assert "code" in r.json()["error"]


@pytest.mark.parametrize("endpoint", WITH_BODY, ids=lambda e: f"{e.method} {e.path}")
def test_bodies_never_500(world: World, endpoint: Any) -> None:
    path = _path(world, endpoint)

    @SLOW
    @given(body=bodies)
    def probe(body: object) -> None:
        try:
            raw = json.dumps(body).encode()
        except (ValueError, OverflowError):
            return
        r = world.http.request(endpoint.method, path, content=raw, headers=world.auth)
        assert r.status_code < 500, (raw[:200], r.text[:200])
        if r.status_code != 204:
            assert r.headers["content-type"].startswith("application/json")

    probe()


@pytest.mark.parametrize("name", ["before", "after", "limit"])
def test_history_params_never_500(world: World, name: str) -> None:
    @SLOW
    @given(value=st.text(max_size=30) | st.integers().map(str))
    def probe(value: str) -> None:
        r = world.http.get(
            f"/v1/channels/{world.channel}/messages", params={name: value}, headers=world.auth
        )
        assert r.status_code < 500

    probe()


def test_presence_ids_never_500(world: World) -> None:
    @SLOW
    @given(value=st.text(max_size=300))
    def probe(value: str) -> None:
        r = world.http.get("/v1/presence", params={"user_ids": value}, headers=world.auth)
        assert r.status_code < 500

    probe()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_raw_bodies_never_500(world: World, endpoint: Any) -> None:
    """Every route, with or without a body model, given raw and hostile bytes."""
    path = _path(world, endpoint)

    @BROAD
    @given(raw=hostile.raw(bodies))
    def probe(raw: bytes) -> None:
        r = world.http.request(endpoint.method, path, content=raw, headers=world.auth)
        _sound(r, raw)

    probe()


PARAMETERISED = [e for e in ENDPOINTS if "{" in e.path]


@pytest.mark.parametrize("endpoint", PARAMETERISED, ids=lambda e: f"{e.method} {e.path}")
def test_path_segments_never_500(world: World, endpoint: Any) -> None:
    @BROAD
    @given(segment=st.text(min_size=1, max_size=200) | st.sampled_from(["%00", "..", "\u0000"]))
    def probe(segment: str) -> None:
        path = re.sub(r"{\w+}", quote(segment, safe=""), endpoint.path)
        r = world.http.request(endpoint.method, path, json={}, headers=world.auth)
        _sound(r, segment)

    probe()
