"""Large (fan-out on read) groups: live delivery without cursors, HTTP catch-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.client import Connected, JsonFileCursorStore
from tests.client.support import api_for, messages, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"small_group_limit": 2}  # any group of three is large


async def test_restart_catches_up_a_large_group(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    await api.open_to_groups(http, a, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "crowd", "member_ids": [a.id, c.id]},
        headers=b.auth,
    )
    assert r.status_code == 201, r.text
    group = r.json()["id"]

    async def post(text: str) -> None:
        r = await http.post(
            f"/v1/channels/{group}/messages",
            json={"client_msg_id": text, "text": text},
            headers=b.auth,
        )
        assert r.status_code == 201, r.text

    store = JsonFileCursorStore(tmp_path / "cursor.json", a.id)
    async with api_for(server.base_url, a) as api_a:
        async with session_for(api_a, store) as s:
            events = s.events()
            await next_of(events, Connected)
            await post("live")
            (live,) = await messages(events, 1)
        assert live.cursor is None
        assert store.load().large_groups == {group: 1}

        await post("missed 1")
        await post("missed 2")
        async with session_for(api_a, store) as s:
            got = await messages(s.events(), 2)
        assert [m.message.text for m in got] == ["missed 1", "missed 2"]
        assert store.load().large_groups == {group: 3}
