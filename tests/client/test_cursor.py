"""A restarted client with the same cursor file gets exactly what it missed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chinwag.client import (
    Connected,
    JsonFileCursorStore,
    MessageEvent,
    SyncedEvent,
)
from tests.client.support import api_for, messages, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer


async def post(http: httpx.AsyncClient, user: api.TestUser, channel: str, text: str) -> None:
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": text, "text": text},
        headers=user.auth,
    )
    assert r.status_code == 201, r.text


async def test_restart_syncs_exactly_what_was_missed(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    path = tmp_path / "cursor.json"

    async with api_for(server.base_url, a) as api_a:
        async with session_for(api_a, JsonFileCursorStore(path, a.id)) as first:
            events = first.events()
            await next_of(events, Connected)
            await post(http, b, channel, "seen before")
            (seen,) = await messages(events, 1)
        assert JsonFileCursorStore(path, a.id).load().cursor == seen.cursor

        for text in ("missed 1", "missed 2", "missed 3"):
            await post(http, b, channel, text)

        async with session_for(api_a, JsonFileCursorStore(path, a.id)) as second:
            got = []
            async for event in second.events():
                if isinstance(event, MessageEvent):
                    got.append(event)
                if isinstance(event, SyncedEvent):
                    break
        assert [m.message.text for m in got] == ["missed 1", "missed 2", "missed 3"]
        assert seen.cursor is not None
        assert [m.cursor for m in got] == [seen.cursor + 1, seen.cursor + 2, seen.cursor + 3]
        assert JsonFileCursorStore(path, a.id).load().cursor == seen.cursor + 3
    assert path.stat().st_mode & 0o777 == 0o600


async def test_a_message_being_handled_when_the_consumer_fails_comes_again(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    store = JsonFileCursorStore(tmp_path / "cursor.json", a.id)
    async with api_for(server.base_url, a) as api_a:
        async with session_for(api_a, store) as s:
            await next_of(s.events(), Connected)
        await post(http, b, channel, "handled")
        await post(http, b, channel, "crashed on")

        with pytest.raises(RuntimeError):
            async with session_for(api_a, store) as s:
                events = s.events()
                first, _ = await messages(events, 2)
                raise RuntimeError("consumer bug while handling the second message")
        assert store.load().cursor == first.cursor

        async with session_for(api_a, store) as s:
            (again,) = await messages(s.events(), 1)
        assert again.message.text == "crashed on"


async def test_a_cursor_file_of_another_user_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "cursor.json"
    JsonFileCursorStore(path, "u_alice").save(JsonFileCursorStore(path, "x").load())
    alice = JsonFileCursorStore(path, "u_alice")
    position = alice.load()
    position.cursor = 7
    alice.save(position)
    assert JsonFileCursorStore(path, "u_bob").load().cursor is None
    assert JsonFileCursorStore(path, "u_alice").load().cursor == 7
