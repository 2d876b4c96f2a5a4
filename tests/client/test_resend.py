"""Unacknowledged sends are resent after a disconnect and stored exactly once."""

from __future__ import annotations

import asyncio

import httpx

from chinwag.client import Connected, Disconnected
from tests.client.proxy import Proxy
from tests.client.support import api_for, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for


async def test_unacknowledged_sends_are_resent_and_stored_once(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    texts = [f"msg {i}" for i in range(12)]

    async with (
        Proxy(server.port).running() as proxy,
        api_for(proxy.base_url, a) as api_a,
        session_for(api_a) as sa,
    ):
        events = sa.events()
        connected = await next_of(events, Connected)
        assert str(proxy.port) in connected.gateway_url  # discovery sent it through us

        # The server gets the sends and stores them; their acks are lost.
        proxy.mute()
        sending = [asyncio.create_task(sa.send(channel, text)) for text in texts]

        async def all_stored() -> bool:
            return len(await api.history(http, b, channel, limit=50)) == len(texts)

        await wait_for(all_stored)
        assert sa.unacknowledged == len(texts)
        assert not any(task.done() for task in sending)

        proxy.cut()
        await next_of(events, Disconnected)
        acks = await asyncio.gather(*sending)  # acknowledged only after a resend

    stored = await api.history(http, b, channel, limit=50)
    assert sorted(m["text"] for m in stored) == sorted(texts)  # each exactly once
    by_text = {m["text"]: m for m in stored}
    for text, ack in zip(texts, acks, strict=True):
        assert by_text[text]["message_id"] == ack.message_id
        assert by_text[text]["client_msg_id"] == ack.client_msg_id
