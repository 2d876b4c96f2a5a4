"""A connection that goes silent is dropped after three heartbeats and replaced."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from chinwag.client import Connected, Disconnected, MessageEvent
from tests.client.proxy import Proxy
from tests.client.support import api_for, next_of, session_for
from tests.helpers import api
from tests.helpers.server import RunningServer


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"heartbeat_interval": 0.2}  # announced in welcome; the client pings at it


async def test_a_silent_connection_is_replaced(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    async with (
        Proxy(server.port).running() as proxy,
        api_for(proxy.base_url, a) as api_a,
        session_for(api_a) as sa,
    ):
        events = sa.events()
        await next_of(events, Connected)
        proxy.mute()  # a path that died without a FIN or RST: nothing arrives any more
        gone = await next_of(events, Disconnected)
        assert gone.code is None
        await next_of(events, Connected)
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": "m1", "text": "still there?"},
            headers=b.auth,
        )
        assert r.status_code == 201
        assert (await next_of(events, MessageEvent)).message.text == "still there?"
