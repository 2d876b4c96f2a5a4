"""How often the send path reads a channel's encryption flag from storage. On SQLite one
process owns the store and learns at once when encryption is turned on, so a channel
seen plain is read once; on PostgreSQL another process may turn it on, so it is read
again once `PLAIN_TTL` has passed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from chinwag.clock import SystemClock
from chinwag.e2ee.flags import PLAIN_TTL
from tests.e2ee.keys import megolm
from tests.helpers import api
from tests.helpers.server import run_server, test_settings
from tests.helpers.wsclient import WsClient


class ShiftedClock(SystemClock):
    """The system clock, whose monotonic time the test moves ahead."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


async def test_a_plain_channel_is_read_again_only_where_another_process_can_change_it(
    tmp_path: Path, store_kind: str, store_url: str
) -> None:
    clock = ShiftedClock()
    settings = test_settings(tmp_path / "data", store_url)
    async with (
        run_server(settings, clock=clock) as srv,
        httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http,
    ):
        a, b = await api.signup(http), await api.signup(http)
        await api.befriend(http, a, b)
        cid = await api.direct(http, a, b)
        channels: Any = srv.app.services.store.channels
        read = channels.get_channel
        looked: list[str] = []

        async def counted(channel_id: str, *args: Any, **kwargs: Any) -> Any:
            looked.append(channel_id)
            return await read(channel_id, *args, **kwargs)

        channels.get_channel = counted
        ws = await WsClient.connect(srv.ws_url)
        await ws.hello(a.token)
        for n in range(3):
            ws.send({"type": "send", "channel_id": cid, "client_msg_id": f"m{n}", "text": "hi"})
            sent = await ws.expect("sent", skip=("presence", "message"))
            assert sent["message_id"] == n + 1
            clock.ahead += PLAIN_TTL + 1
        assert looked.count(cid) == (3 if store_kind == "postgres" else 1)

        # Turned on here: the next plaintext send is refused at once, ciphertext taken.
        r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=a.auth)
        assert r.status_code == 200, r.text
        ws.send({"type": "send", "channel_id": cid, "client_msg_id": "p", "text": "plain"})
        err = await ws.expect("error", skip=("presence", "message", "channel"))
        assert err["code"] == "invalid_request" and err["ref"] == "p"
        body = megolm("AwgAEhAbCdEf+/")
        ws.send({"type": "send", "channel_id": cid, "client_msg_id": "e", "encrypted": body})
        sent = await ws.expect("sent", skip=("presence", "message", "channel"))
        assert sent["message_id"] == 4
        await ws.close()
