"""A `reset` (too much missed to replay) becomes recent history, then live messages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.client import Connected, JsonFileCursorStore, MessageEvent, ResetEvent
from tests.client.support import PATIENCE, api_for, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sync_backlog_limit": 3}


async def test_reset_delivers_recent_history_and_moves_on(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b, channel = await api.friends_in_chat(http)

    async def post(text: str) -> None:
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": text, "text": text},
            headers=b.auth,
        )
        assert r.status_code == 201, r.text

    store = JsonFileCursorStore(tmp_path / "cursor.json", a.id)
    async with api_for(server.base_url, a) as api_a:
        async with session_for(api_a, store) as s:
            await next_of(s.events(), Connected)
        missed = [f"missed {i}" for i in range(6)]
        for text in missed:
            await post(text)

        async with session_for(api_a, store) as s:
            events = s.events()
            reset = await next_of(events, ResetEvent)
            assert reset.channel_id is None
            got: list[MessageEvent] = []
            async with asyncio.timeout(PATIENCE):
                while len(got) < len(missed):
                    got.append(await next_of(events, MessageEvent))
            assert [m.message.text for m in got] == missed
            assert all(m.cursor is None for m in got)  # fetched over HTTP

            await post("live")
            live = await next_of(events, MessageEvent)
            assert live.message.text == "live"
            assert live.cursor == reset.cursor + 1
        assert store.load().cursor == reset.cursor + 1
