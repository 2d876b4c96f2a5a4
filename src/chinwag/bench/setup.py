"""Creating the bench's users, friendships, channels and backlog over HTTP.

All HTTP of the bench lives here so it can later move onto the shared client library
(`chinwag.client.http.ApiClient`). Each user signs up and logs in exactly once: argon2
makes logins expensive on purpose, so devices reconnect with the token they got here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import httpx
import msgspec

T = TypeVar("T")

RETRIES = 8


class BenchUser(msgspec.Struct, frozen=True):
    """A user with one logged-in device."""

    id: str
    username: str
    token: str
    device_id: str


class SetupError(RuntimeError):
    """The server refused or failed a setup request."""


async def limited(jobs: Sequence[Callable[[], Awaitable[T]]], concurrency: int) -> list[T]:
    """Run `jobs` with at most `concurrency` in flight, results in order.

    A fixed pool of workers rather than one task per job keeps 10,000-user setups cheap."""
    results: list[Any] = [None] * len(jobs)
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(jobs):
            i = next_index
            next_index += 1
            results[i] = await jobs[i]()

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(jobs))))))
    return results


class Setup:
    """An HTTP session against one server, used only before and between measurements."""

    def __init__(self, base_url: str, concurrency: int, password: str) -> None:
        self._base_url = base_url
        self._concurrency = concurrency
        self._password = password
        # One keep-alive connection per client, checked out per request: httpx's shared
        # pool slows down sharply with many concurrent requests (about 150 req/s at 64
        # here, against 1,500 with separate clients).
        self._idle: list[httpx.AsyncClient] = []
        self._all: list[httpx.AsyncClient] = []

    async def __aenter__(self) -> Setup:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._all:
            await client.aclose()

    def _checkout(self) -> httpx.AsyncClient:
        if self._idle:
            return self._idle.pop()
        client = httpx.AsyncClient(
            base_url=self._base_url, timeout=60, limits=httpx.Limits(max_connections=1)
        )
        self._all.append(client)
        return client

    async def _call(
        self, method: str, path: str, body: Any = None, token: str = "", ok: tuple[int, ...] = ()
    ) -> Any:
        """One request, retried after 429 (waiting Retry-After) and 503."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for _ in range(RETRIES):
            client = self._checkout()
            try:
                r = await client.request(method, path, json=body, headers=headers)
            finally:
                self._idle.append(client)
            if r.status_code in ok or (not ok and r.status_code < 300):
                return r.json() if r.content else None
            if r.status_code in (429, 503):
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            raise SetupError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        raise SetupError(f"{method} {path}: still refused after {RETRIES} tries (rate limits?)")

    # -- users ---------------------------------------------------------------------------

    async def user(self, username: str) -> BenchUser:
        await self._call("POST", "/v1/users", {"username": username, "password": self._password})
        body = await self._call(
            "POST",
            "/v1/sessions",
            {"username": username, "password": self._password, "device_name": "bench"},
        )
        # Group workloads put users who are not friends together: let anyone add them.
        await self._call("PATCH", "/v1/me", {"group_adds": "anyone"}, body["token"])
        return BenchUser(body["user"]["id"], username, body["token"], body["device_id"])

    async def users(self, prefix: str, count: int, start: int = 0) -> list[BenchUser]:
        names = [f"{prefix}_{i}" for i in range(start, start + count)]
        return await limited([partial(self.user, n) for n in names], self._concurrency)

    # -- relations -------------------------------------------------------------------------

    async def direct(self, a: BenchUser, b: BenchUser) -> str:
        """Befriend a and b and open their direct channel; its id."""
        req = await self._call("POST", "/v1/friends/requests", {"user_id": b.id}, a.token)
        await self._call("POST", f"/v1/friends/requests/{req['id']}/accept", None, b.token)
        channel = await self._call(
            "POST", "/v1/channels", {"kind": "direct", "user_id": a.id}, b.token, ok=(200, 201)
        )
        return str(channel["id"])

    async def directs(self, pairs: Sequence[tuple[BenchUser, BenchUser]]) -> list[str]:
        return await limited([partial(self.direct, a, b) for a, b in pairs], self._concurrency)

    async def group(self, owner: BenchUser, name: str, members: Sequence[BenchUser]) -> str:
        body = {"kind": "group", "name": name, "member_ids": [m.id for m in members]}
        channel = await self._call("POST", "/v1/channels", body, owner.token)
        return str(channel["id"])

    async def groups(self, prefix: str, memberships: Sequence[Sequence[BenchUser]]) -> list[str]:
        """One group per member list; the first member creates it."""
        jobs = [
            partial(self.group, ms[0], f"{prefix} group {i}", ms[1:])
            for i, ms in enumerate(memberships)
        ]
        # A group creation touches every member row; a few at a time are plenty.
        return await limited(jobs, max(1, min(8, self._concurrency)))

    # -- messages --------------------------------------------------------------------------

    async def post(self, sender: BenchUser, channel_id: str, client_msg_id: str, text: str) -> int:
        body = {"client_msg_id": client_msg_id, "text": text}
        message = await self._call(
            "POST", f"/v1/channels/{channel_id}/messages", body, sender.token, ok=(200, 201)
        )
        return int(message["message_id"])

    async def backlog(self, senders: Sequence[tuple[BenchUser, str]], count: int) -> dict[str, int]:
        """Post `count` messages from each (sender, channel); the last message id per
        channel. Messages of one channel go in order, channels in parallel."""

        async def channel_backlog(sender: BenchUser, channel_id: str) -> tuple[str, int]:
            last = 0
            for k in range(count):
                last = await self.post(sender, channel_id, f"backlog-{k}", f"missed message {k}")
            return channel_id, last

        jobs = [partial(channel_backlog, s, c) for s, c in senders]
        return dict(await limited(jobs, self._concurrency))
