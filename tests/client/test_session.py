"""ChatSession against a real server: receiving, sending, typing, errors, lag."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from chinwag.client import (
    ChinwagApiError,
    Connected,
    MessageEvent,
    SessionOptions,
    TypingEvent,
    Unauthorized,
    UpdateEvent,
)
from tests.client.support import PATIENCE, QUICK, api_for, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer


async def test_events_yield_messages_with_cursors(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    async with (
        api_for(server.base_url, a) as api_a,
        api_for(server.base_url, b) as api_b,
        session_for(api_a) as sa,
        session_for(api_b) as sb,
    ):
        ea, eb = sa.events(), sb.events()
        await next_of(ea, Connected)
        await next_of(eb, Connected)
        assert sa.user_id == a.id

        ack = await sb.send(channel, "hello alice")
        got = await next_of(ea, MessageEvent)
        assert got.message.text == "hello alice"
        assert got.message.message_id == ack.message_id == 1
        assert got.message.sender_id == b.id
        assert got.message.client_msg_id == ack.client_msg_id
        assert got.cursor is not None
        own = await next_of(eb, MessageEvent)  # the sender's devices get it too
        assert own.message.client_msg_id == ack.client_msg_id

        assert sa.typing(channel)
        typing = await next_of(eb, TypingEvent)
        assert (typing.channel_id, typing.user_id) == (channel, a.id)

        # The position moves past a message once the consumer comes back for more.
        assert sa.position.cursor == got.cursor - 1
        await sb.send(channel, "second")
        second = await next_of(ea, MessageEvent)
        assert sa.position.cursor == got.cursor
        assert second.cursor == got.cursor + 1


async def test_refused_send_raises_the_servers_error(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    await api.befriend(http, b, c)
    theirs = await api.direct(http, b, c)
    async with api_for(server.base_url, a) as api_a, session_for(api_a) as sa:
        with pytest.raises(ChinwagApiError) as caught:
            await sa.send(theirs, "let me in")
        assert caught.value.code in ("forbidden", "not_found")
        assert caught.value.status in (403, 404)
        with pytest.raises(ChinwagApiError) as empty:
            await sa.send(theirs, "")
        assert (empty.value.code, empty.value.status) == ("invalid_request", 400)
    assert await api.history(http, b, theirs) == []


async def test_logout_stops_the_session_with_unauthorized(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a = await api.signup(http)
    async with api_for(server.base_url, a) as api_a, api_for(server.base_url, a) as other:
        session = session_for(api_a)
        events = session.events()
        await next_of(events, Connected)
        await other.logout()  # revokes the token the session uses
        with pytest.raises(Unauthorized):
            await next_of(events, MessageEvent)
        with pytest.raises(Unauthorized):
            await session.send("c_whatever", "too late")
        await session.close()


async def test_a_lagging_consumer_still_gets_every_message_once_in_order(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    tiny = SessionOptions(queue_size=4, backoff_initial=0.05, backoff_max=0.5)
    async with api_for(server.base_url, a) as api_a, session_for(api_a, options=tiny) as sa:
        await sa.wait_connected()
        texts = [f"m{i}" for i in range(30)]
        for text in texts:
            r = await http.post(
                f"/v1/channels/{channel}/messages",
                json={"client_msg_id": text, "text": text},
                headers=b.auth,
            )
            assert r.status_code == 201
        # Nothing was read while they arrived: far more than the queue holds.
        got: list[MessageEvent] = []
        connects = 0
        async with asyncio.timeout(PATIENCE):
            async for event in sa.events():
                connects += isinstance(event, Connected)
                if isinstance(event, MessageEvent):
                    got.append(event)
                    if len(got) == len(texts):
                        break
        assert [m.message.text for m in got] == texts
        assert [m.message.message_id for m in got] == list(range(1, 31))
        assert connects >= 2  # it dropped what did not fit and resynced for it


async def test_sends_wait_in_the_outbox_until_connected(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    async with api_for(server.base_url, a) as api_a:
        session = session_for(api_a, options=QUICK)
        try:
            acks = await asyncio.gather(*(session.send(channel, f"t{i}") for i in range(5)))
        finally:
            await session.close()
    stored = await api.history(http, b, channel)
    assert sorted(m["text"] for m in stored) == [f"t{i}" for i in range(5)]
    assert sorted(ack.message_id for ack in acks) == [1, 2, 3, 4, 5]


async def test_changes_arrive_as_update_events_and_move_the_cursor(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    async with (
        api_for(server.base_url, a) as api_a,
        api_for(server.base_url, b) as api_b,
        session_for(api_a) as sa,
    ):
        ea = sa.events()
        await next_of(ea, Connected)
        sent = await api_b.send_http(channel, "typo")
        got = await next_of(ea, MessageEvent)
        edited = await api_b.edit(channel, sent.message_id, "fixed")
        assert edited.text == "fixed" and edited.edited_at is not None
        await api_a.react(channel, sent.message_id, "👍")
        first = await next_of(ea, UpdateEvent)
        assert (first.event, first.message.text, first.cursor) == (
            "edited",
            "fixed",
            got.cursor + 1,
        )
        second = await next_of(ea, UpdateEvent)
        assert second.event == "reaction" and second.message.reactions == {"👍": [a.id]}
        await api_b.delete_message(channel, sent.message_id)
        third = await next_of(ea, UpdateEvent)
        assert third.message.deleted and third.message.text == ""
        assert [m.text for m in await api_a.search("fixed")] == []
        assert sa.position.cursor == second.cursor
