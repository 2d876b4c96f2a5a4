"""Reconnecting through discovery: after a 1001 close, and across a server restart."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx

from chinwag.client import Connected, Disconnected, MessageEvent
from chinwag.protocol.session import CloseCode
from tests.client.support import (
    PathCounter,
    api_for,
    next_of,
    serve_on,
    session_for,
)
from tests.helpers import api
from tests.helpers.process import free_port
from tests.helpers.server import RunningServer, test_settings
from tests.helpers.wait import wait_for


async def test_going_away_reconnects_through_discovery(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    counter = PathCounter()
    async with (
        api_for(server.base_url, a, counter.transport()) as api_a,
        session_for(api_a) as sa,
    ):
        events = sa.events()
        await next_of(events, Connected)
        assert counter.count("/v1/discovery") == 1
        for conn in list(server.app.hub.by_user[a.id]):
            conn.close(CloseCode.GOING_AWAY, "server going away; reconnect")
        gone = await next_of(events, Disconnected)
        assert gone.code == 1001
        await next_of(events, Connected)
        assert counter.count("/v1/discovery") == 2

        ack = await sa.send(channel, "back again")
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": "b1", "text": "welcome back"},
            headers=b.auth,
        )
        assert r.status_code == 201
        texts = []
        while "welcome back" not in texts:
            texts.append((await next_of(events, MessageEvent)).message.text)
        assert texts == ["back again", "welcome back"]
        assert ack.message_id == 1


async def test_server_restart_on_the_same_data(tmp_path: Path, store_url: str) -> None:
    port = free_port()
    settings = test_settings(tmp_path / "data", store_url, port=port)
    base_url = f"http://127.0.0.1:{port}"
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
        async with serve_on(settings, port):
            a, b, channel = await api.friends_in_chat(http)
            api_a = await stack.enter_async_context(api_for(base_url, a))
            session = await stack.enter_async_context(session_for(api_a))
            events = session.events()
            await next_of(events, Connected)
        # The server drained the socket with 1001 and is gone.
        gone = await next_of(events, Disconnected)
        assert gone.code == 1001
        pending = asyncio.create_task(session.send(channel, "sent while the server was down"))
        await wait_for(lambda: session.unacknowledged == 1)
        assert not session.connected

        async with serve_on(settings, port):
            await next_of(events, Connected)
            ack = await pending
            r = await http.post(
                f"/v1/channels/{channel}/messages",
                json={"client_msg_id": "b1", "text": "after restart"},
                headers=b.auth,
            )
            assert r.status_code == 201
            texts = []
            while "after restart" not in texts:
                texts.append((await next_of(events, MessageEvent)).message.text)
            assert texts == ["sent while the server was down", "after restart"]
            stored = await api.history(http, b, channel)
            assert [m["text"] for m in stored] == texts
            assert stored[0]["message_id"] == ack.message_id
            await session.close()
