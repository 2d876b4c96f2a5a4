"""Helpers for client tests: sessions with quick reconnects, waiting for events, and a
server that can be stopped and started again on the same port and data."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import uvicorn

from chinwag.app import App
from chinwag.client import ApiClient, ChatSession, Event, MessageEvent, SessionOptions
from chinwag.client.cursor import CursorStore
from chinwag.config import Settings
from chinwag.server import bind, uvicorn_config
from tests.helpers.api import TestUser

# Quick reconnects so tests do not wait on production backoff; nothing asserts on time.
QUICK = SessionOptions(backoff_initial=0.05, backoff_max=0.5, connect_timeout=5.0)

# Upper bound for waiting on something that should happen; only guards against hangs.
PATIENCE = 20.0

E = TypeVar("E")


def api_for(
    base_url: str, user: TestUser, transport: httpx.AsyncBaseTransport | None = None
) -> ApiClient:
    return ApiClient(base_url, user.token, transport=transport)


def session_for(
    api: ApiClient, store: CursorStore | None = None, options: SessionOptions = QUICK
) -> ChatSession:
    return ChatSession(api, cursor_store=store, options=options)


async def next_of(events: AsyncIterator[Event], kind: type[E]) -> E:
    """The next event of `kind`, skipping others."""
    async with asyncio.timeout(PATIENCE):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"events ended before a {kind.__name__}")


async def messages(events: AsyncIterator[Event], count: int) -> list[MessageEvent]:
    return [await next_of(events, MessageEvent) for _ in range(count)]


@dataclass
class PathCounter:
    """An httpx transport that forwards to the network and counts request paths."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    paths: list[str] = field(default_factory=list)

    def transport(self) -> httpx.AsyncBaseTransport:
        counter = self

        class _Counting(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                counter.paths.append(request.url.path)
                return await counter.inner.handle_async_request(request)

            async def aclose(self) -> None:
                await counter.inner.aclose()

        return _Counting()

    def count(self, path: str) -> int:
        return self.paths.count(path)


@contextlib.asynccontextmanager
async def serve_on(settings: Settings, port: int) -> AsyncIterator[App]:
    """Like tests.helpers.server.run_server, but on a fixed port (that helper always
    binds port 0), so a restarted server is found at the same address."""
    app = App(settings)
    server = uvicorn.Server(uvicorn_config(app, loop="asyncio"))
    sock = bind("127.0.0.1", port)
    task = asyncio.create_task(server._serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield app
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()
