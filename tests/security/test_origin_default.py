"""With no allow-list, a WebSocket upgrade from a page of another origin is refused (403),
one from the server's own origin is not, and clients that send no Origin are not
browsers and stay allowed."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


async def test_only_the_servers_own_origin_by_default(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    assert server.app.settings.allowed_origins == ""
    a = await api.signup(http)
    for foreign in ("https://evil.example", "http://127.0.0.1:1", "null"):
        with pytest.raises(Exception, match="403"):
            await WsClient.connect(server.ws_url, extra_headers={"Origin": foreign})
    own = await WsClient.connect(server.ws_url, extra_headers={"Origin": server.base_url})
    await own.hello(a.token)
    await own.close()
    plain = await WsClient.connect(server.ws_url)
    await plain.hello(a.token)
    await plain.close()
