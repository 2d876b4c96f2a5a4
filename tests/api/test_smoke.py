from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def test_two_users_chat(server: RunningServer, http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    b = await api.signup(http)
    await api.befriend(http, a, b)
    channel = await api.direct(http, a, b)
    wa = await WsClient.connect(server.ws_url)
    wb = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    await wb.hello(b.token, cursor=0)
    await wb.expect("synced")
    wa.send({"type": "send", "channel_id": channel, "client_msg_id": "x1", "text": "hello"})
    sent = await wa.expect("sent")
    got = await wb.expect("message")
    assert got["message"]["message_id"] == sent["message_id"] == 1
    assert got["cursor"] == 1
    await wa.close()
    await wb.close()
