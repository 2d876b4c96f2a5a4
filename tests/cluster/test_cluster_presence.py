"""Presence across gateways: online anywhere is online everywhere, and friends hear each
change exactly once."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tests.cluster.nodes import Cluster, Node
from tests.helpers import api
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


class Live:
    """A socket that heartbeats, and keeps the presence frames it receives."""

    def __init__(self, ws: WsClient) -> None:
        self.ws = ws
        self.frames: list[tuple[str, str]] = []
        self._task = asyncio.create_task(self._beat())

    @classmethod
    async def open(cls, node: Node, user: api.TestUser) -> Live:
        ws = await WsClient.connect(node.ws_url)
        await ws.hello(user.token)
        return cls(ws)

    async def _beat(self) -> None:
        while True:
            self.ws.send({"type": "ping"})
            await asyncio.sleep(0.25)

    def heard(self, user: api.TestUser) -> list[str]:
        for f in self.ws.pending(ignore=("pong",)):
            if f["type"] == "presence":
                self.frames.append((f["user_id"], f["status"]))
        return [status for uid, status in self.frames if uid == user.id]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.ws.close()


async def statuses(nodes: list[Node], viewer: api.TestUser, user: api.TestUser) -> set[str]:
    """The user's status as every process answers it."""
    out = set()
    async with httpx.AsyncClient(timeout=10) as http:
        for node in nodes:
            r = await http.get(
                node.base_url + "/v1/presence", params={"user_ids": user.id}, headers=viewer.auth
            )
            assert r.status_code == 200, r.text
            out.add(r.json()["presence"][0]["status"])
    return out


async def test_presence_agrees_everywhere(cluster: Cluster) -> None:
    gw0, gw1, gw2 = cluster.gateways
    nodes = cluster.nodes
    async with httpx.AsyncClient(base_url=cluster.api.base_url, timeout=30) as http:
        a, b, c = [await api.signup(http) for _ in range(3)]
        await api.befriend(http, a, b)
        await api.befriend(http, a, c)
        a2 = await api.login(http, a.username, device="second")
        lb, lc = await Live.open(gw1, b), await Live.open(gw2, c)
        assert await statuses(nodes, b, a) == {"offline"}

        # Online on gateway 0: online for every process, and each friend hears it once.
        la = await Live.open(gw0, a)

        async def online_everywhere() -> bool:
            return await statuses(nodes, b, a) == {"online"}

        await wait_for(online_everywhere, timeout=5)
        await wait_for(lambda: lb.heard(a) == ["online"] and lc.heard(a) == ["online"])
        friends = (await http.get("/v1/friends", headers=b.auth)).json()["friends"]
        assert [f["presence"]["status"] for f in friends if f["user"]["id"] == a.id] == ["online"]

        # A second device on gateway 1, then the first leaves: still online, no news.
        la2 = await Live.open(gw1, a2)
        await la.close()
        # Moving from gateway 1 to gateway 2 within the grace period: no flap either.
        await la2.close()
        la3 = await Live.open(gw2, a2)
        await asyncio.sleep(2.5)  # past the grace period and the presence timeout
        assert await statuses(nodes, b, a) == {"online"}
        assert lb.heard(a) == ["online"] and lc.heard(a) == ["online"]

        # The last device leaves: offline everywhere after the grace period, heard once.
        await la3.close()
        await wait_for(lambda: lb.heard(a) == ["online", "offline"], timeout=5)
        await wait_for(lambda: lc.heard(a) == ["online", "offline"], timeout=5)
        assert await statuses(nodes, c, a) == {"offline"}
        await asyncio.sleep(1.0)
        assert lb.heard(a) == ["online", "offline"] and lc.heard(a) == ["online", "offline"]
        await lb.close()
        await lc.close()
