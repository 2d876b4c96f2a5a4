"""The send transaction checks a channel's end-to-end encryption itself: sends read no
flag of their own, and once encryption is on no process takes plaintext there, not even
one that took a plaintext send a moment before."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from tests.e2ee.keys import megolm
from tests.helpers import api
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wsclient import WsClient

BODY = megolm("AwgAEhAbCdEf+/")


def count_flag_reads(srv: RunningServer) -> list[str]:
    """Channel ids read from storage from now on (the send path once read the flag so)."""
    channels: Any = srv.app.services.store.channels
    read = channels.get_channel
    looked: list[str] = []

    async def counted(channel_id: str, *args: Any, **kwargs: Any) -> Any:
        looked.append(channel_id)
        return await read(channel_id, *args, **kwargs)

    channels.get_channel = counted
    return looked


async def outcome(ws: WsClient) -> dict[str, Any]:
    """The next `sent` or `error` frame."""
    while True:
        frame = await ws.recv()
        if frame["type"] in ("sent", "error"):
            return frame


async def send(ws: WsClient, cid: str, ref: str, **body: Any) -> dict[str, Any]:
    ws.send({"type": "send", "channel_id": cid, "client_msg_id": ref, **body})
    return await outcome(ws)


async def test_no_process_takes_plaintext_once_encryption_is_on(
    tmp_path: Path, store_kind: str, store_url: str
) -> None:
    # Two processes on one PostgreSQL database; SQLite has one process.
    processes = 2 if store_kind == "postgres" else 1
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                run_server(test_settings(tmp_path / f"data{n}", store_url))
            )
            for n in range(processes)
        ]
        first, last = servers[0], servers[-1]
        http = await stack.enter_async_context(
            httpx.AsyncClient(base_url=first.base_url, timeout=30)
        )
        a, b = await api.signup(http), await api.signup(http)
        await api.befriend(http, a, b)
        cid = await api.direct(http, a, b)
        c = await api.signup(http)
        await api.befriend(http, a, c)
        other = await api.direct(http, a, c)
        looked = count_flag_reads(last)
        ws = await WsClient.connect(last.ws_url)
        await ws.hello(a.token)
        for n in range(3):
            assert (await send(ws, cid, f"m{n}", text="hi"))["type"] == "sent"
        assert looked == []  # the flag is read by the send's own transaction

        r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=a.auth)
        assert r.status_code == 200, r.text
        looked.clear()  # (turning it on reads the channel)
        # At once, in the process that did not turn it on too; a resend of a plaintext
        # message from before the switch is refused as well.
        for ref in ("p", "m0"):
            err = await send(ws, cid, ref, text="plain")
            assert err["type"] == "error" and err["code"] == "invalid_request"
            assert err["ref"] == ref and "encrypted" in err["message"]
        # Ciphertext is taken there, and refused in a plain channel; a refused send does
        # not fail a good one sent beside it (one batch on PostgreSQL).
        ws.send({"type": "send", "channel_id": other, "client_msg_id": "x", "encrypted": BODY})
        ws.send({"type": "send", "channel_id": cid, "client_msg_id": "e", "encrypted": BODY})
        ws.send({"type": "send", "channel_id": other, "client_msg_id": "t", "text": "fine"})
        frames = [await outcome(ws) for _ in range(3)]
        by_ref = {f.get("ref") or f.get("client_msg_id"): f for f in frames}
        assert by_ref["x"]["type"] == "error" and "not end-to-end" in by_ref["x"]["message"]
        assert by_ref["e"]["type"] == "sent" and by_ref["e"]["message_id"] == 4
        assert by_ref["t"]["type"] == "sent" and by_ref["t"]["message_id"] == 1
        assert looked == []
        await ws.close()
