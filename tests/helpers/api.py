"""HTTP helpers for tests: sign up users, befriend them, open channels."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class TestUser:
    id: str
    username: str
    password: str
    token: str
    device_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


_counter = itertools.count()


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}_{secrets.token_hex(3)}"


async def signup(
    http: httpx.AsyncClient, username: str | None = None, password: str = "correct horse"
) -> TestUser:
    username = username or unique_name()
    r = await http.post("/v1/users", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    return await login(http, username, password)


async def login(
    http: httpx.AsyncClient, username: str, password: str = "correct horse", device: str = "test"
) -> TestUser:
    r = await http.post(
        "/v1/sessions", json={"username": username, "password": password, "device_name": device}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return TestUser(body["user"]["id"], username, password, body["token"], body["device_id"])


async def befriend(http: httpx.AsyncClient, a: TestUser, b: TestUser) -> None:
    r = await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)
    assert r.status_code == 201, r.text
    r = await http.post(f"/v1/friends/requests/{r.json()['id']}/accept", headers=b.auth)
    assert r.status_code == 200, r.text


async def direct(http: httpx.AsyncClient, a: TestUser, b: TestUser) -> str:
    r = await http.post("/v1/channels", json={"kind": "direct", "user_id": b.id}, headers=a.auth)
    assert r.status_code in (200, 201), r.text
    channel_id: str = r.json()["id"]
    return channel_id


async def friends_in_chat(http: httpx.AsyncClient) -> tuple[TestUser, TestUser, str]:
    """Two new users, friends, and their direct channel."""
    a, b = await signup(http), await signup(http)
    await befriend(http, a, b)
    return a, b, await direct(http, a, b)


async def history(
    http: httpx.AsyncClient, user: TestUser, channel_id: str, **params: Any
) -> list[dict[str, Any]]:
    r = await http.get(f"/v1/channels/{channel_id}/messages", params=params, headers=user.auth)
    assert r.status_code == 200, r.text
    messages: list[dict[str, Any]] = r.json()["messages"]
    return messages


async def all_history(
    http: httpx.AsyncClient, user: TestUser, channel_id: str
) -> list[dict[str, Any]]:
    """Every message of a channel, page by page, oldest first."""
    out: list[dict[str, Any]] = []
    after = 0
    while page := await history(http, user, channel_id, after=after, limit=200):
        out.extend(page)
        after = page[-1]["message_id"]
    return out


def assert_exact(history: list[dict[str, Any]], acked: dict[str, int]) -> None:
    """Ids gapless from 1, and each acknowledged message there once with its id."""
    assert [m["message_id"] for m in history] == list(range(1, len(history) + 1))
    assert {m["client_msg_id"]: m["message_id"] for m in history} == acked


async def open_to_groups(http: httpx.AsyncClient, *users: TestUser) -> None:
    """Let anyone add these users to groups (by default only their friends may)."""
    for user in users:
        r = await http.patch("/v1/me", json={"group_adds": "anyone"}, headers=user.auth)
        assert r.status_code == 200, r.text
