"""A well-behaved client device for the cluster tests.

It does what the contract asks of a client, and records everything so a test can check
the end state is exact:
- its inbox cursor only moves one by one: a `message` frame whose cursor skips ahead
  means the bus dropped something, so it asks for a `sync` from its cursor instead;
- large-group messages go by message id; a gap is filled from history over HTTP;
- what it sent and saw no `sent` for, it sends again with the same client_msg_id;
- when its socket goes away it asks discovery for gateways and reconnects with its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import httpx

from tests.helpers.api import TestUser
from tests.helpers.wsclient import WsClient


class Device:
    def __init__(self, user: TestUser, api_url: str, name: str) -> None:
        self.user = user
        self.api_url = api_url
        self.name = name
        self.cursor = 0
        self.processed: list[dict[str, Any]] = []  # inbox messages, in processing order
        self.large: dict[str, list[dict[str, Any]]] = {}  # large groups, by channel
        self.presence: list[dict[str, Any]] = []
        self.outbox: dict[str, tuple[str, str]] = {}
        self.acked: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = []
        self.closes: list[int | None] = []
        self.gateways: list[str] = []  # gateway_id of each welcome
        self.gaps = 0  # times an inbox frame skipped ahead of the cursor (then it syncs)
        self.large_gaps = 0  # times a large-group frame skipped ahead (then it reads history)
        self.duplicates = 0
        self.ws: WsClient | None = None
        self.live = asyncio.Event()
        self._synced = asyncio.Event()
        self._syncing = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._beat: asyncio.Task[None] | None = None
        self._ids = itertools.count()
        self._http = httpx.AsyncClient(base_url=api_url, timeout=30)

    # -- driving ----------------------------------------------------------------------

    async def connect(self, url: str | None = None, timeout: float = 15) -> None:
        """Connect to `url` (else to the best gateway discovery names) and stay connected."""
        self._task = asyncio.create_task(self._run(url))
        await asyncio.wait_for(self.live.wait(), timeout)

    def send(self, channel_id: str, text: str) -> str:
        client_msg_id = f"{self.name}-{next(self._ids)}"
        self.outbox[client_msg_id] = (channel_id, text)
        self._send_one(client_msg_id)
        return client_msg_id

    async def settle(self, timeout: float = 30) -> None:
        """Until everything sent is acknowledged and a sync has caught the cursor up."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.outbox:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name}: never acknowledged: {list(self.outbox)}")
            await asyncio.sleep(0.5)
            for client_msg_id in list(self.outbox):
                self._send_one(client_msg_id)
        await asyncio.wait_for(self.live.wait(), timeout)
        await self.sync(timeout)

    async def sync(self, timeout: float = 15) -> None:
        assert self.ws is not None
        self._synced.clear()
        self._syncing = True
        self.ws.send({"type": "sync", "cursor": self.cursor})
        await asyncio.wait_for(self._synced.wait(), timeout)

    async def close(self) -> None:
        self._stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        for task in (self._task, self._beat):
            if task is not None:
                task.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    # -- reading ----------------------------------------------------------------------

    async def _run(self, url: str | None) -> None:
        while not self._stopping:
            ws = await self._open(url)
            url = None
            if ws is None:
                await asyncio.sleep(0.1)
                continue
            self.ws = ws
            ws.send({"type": "hello", "token": self.user.token, "cursor": self.cursor})
            await self._read(ws)
            if self._beat is not None:
                self._beat.cancel()
            self.ws = None
            self.live.clear()
            self.closes.append(ws.listener.close_code)
            if ws.listener.close_code == 4001:
                return

    async def _open(self, url: str | None) -> WsClient | None:
        urls = [url] if url else await self._discover()
        for candidate in urls:
            with contextlib.suppress(Exception):
                return await WsClient.connect(candidate)
        return None

    async def _discover(self) -> list[str]:
        with contextlib.suppress(httpx.HTTPError):
            r = await self._http.get("/v1/discovery")
            if r.status_code == 200:
                return [g["url"] for g in r.json()["gateways"]]
        return []

    async def _read(self, ws: WsClient) -> None:
        frames = ws.listener.frames
        while True:
            if ws.listener.closed.is_set() and frames.empty():
                return
            try:
                frame = await asyncio.wait_for(frames.get(), 0.1)
            except TimeoutError:
                continue
            await self._handle(ws, frame)

    async def _handle(self, ws: WsClient, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            self.gateways.append(frame["gateway_id"])
            self._beat = asyncio.create_task(_heartbeat(ws, frame["heartbeat_interval"]))
            for head in frame["large_groups"]:
                await self.catch_up(head["channel_id"], head["last_message_id"])
            self.live.set()
            for client_msg_id in list(self.outbox):
                self._send_one(client_msg_id)
        elif kind == "message":
            await self._message(ws, frame)
        elif kind == "synced":
            self._syncing = False
            self._synced.set()
        elif kind == "sent":
            self.acked[frame["client_msg_id"]] = frame["message_id"]
            self.outbox.pop(frame["client_msg_id"], None)
        elif kind == "presence":
            self.presence.append(frame)
        elif kind in ("error", "reset"):
            self.errors.append(frame)

    async def _message(self, ws: WsClient, frame: dict[str, Any]) -> None:
        message, cursor = frame["message"], frame["cursor"]
        if cursor is None:
            await self._large_message(message)
        elif cursor == self.cursor + 1:
            self.cursor = cursor
            self.processed.append(message)
        elif cursor <= self.cursor:
            self.duplicates += 1
        elif not self._syncing:
            self.gaps += 1
            self._syncing = True
            ws.send({"type": "sync", "cursor": self.cursor})

    async def _large_message(self, message: dict[str, Any]) -> None:
        seen = self.large.setdefault(message["channel_id"], [])
        last = seen[-1]["message_id"] if seen else 0
        if message["message_id"] == last + 1:
            seen.append(message)
        elif message["message_id"] <= last:
            self.duplicates += 1
        else:
            self.large_gaps += 1
            await self.catch_up(message["channel_id"], message["message_id"])

    async def catch_up(self, channel_id: str, upto: int) -> None:
        """Read a large group's history up to message `upto`, as when opening it.

        The read loop and a test may both be catching up at once: what the other has
        appended while a page was on its way is skipped, by message id."""
        seen = self.large.setdefault(channel_id, [])
        while not seen or seen[-1]["message_id"] < upto:
            after = seen[-1]["message_id"] if seen else 0
            r = await self._http.get(
                f"/v1/channels/{channel_id}/messages",
                params={"after": after, "limit": 200},
                headers=self.user.auth,
            )
            page = r.json()["messages"] if r.status_code == 200 else []
            if not page:
                return
            for message in page:
                if message["message_id"] == (seen[-1]["message_id"] if seen else 0) + 1:
                    seen.append(message)

    def _send_one(self, client_msg_id: str) -> None:
        ws = self.ws
        if ws is None or not self.live.is_set() or ws.transport.is_disconnected:
            return
        channel_id, text = self.outbox[client_msg_id]
        frame = {"type": "send", "channel_id": channel_id, "client_msg_id": client_msg_id}
        with contextlib.suppress(Exception):
            ws.send({**frame, "text": text})


async def _heartbeat(ws: WsClient, interval: float) -> None:
    """Any frame is a heartbeat; an idle device pings so presence keeps it online."""
    while not ws.transport.is_disconnected:
        with contextlib.suppress(Exception):
            ws.send({"type": "ping"})
        await asyncio.sleep(interval * 0.6)
