"""kill -9 of the server during a burst of sends: nothing acknowledged is lost, ids stay
gapless, and resending what was not acknowledged stores each message exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx

from tests.helpers import api
from tests.helpers.process import ServerProcess
from tests.helpers.wsclient import WsClient

SENDERS = 4
PER_SENDER = 1500


async def _blast(ws: WsClient, channel: str, tag: str, acked: dict[str, int]) -> None:
    for i in range(PER_SENDER):
        ws.send(
            {
                "type": "send",
                "channel_id": channel,
                "client_msg_id": f"{tag}-{i}",
                "text": f"{tag} {i}",
            }
        )
        if i % 20 == 0:
            await asyncio.sleep(0)
    with contextlib.suppress(Exception):
        while True:
            frame = await ws.expect("sent", timeout=10)
            acked[frame["client_msg_id"]] = frame["message_id"]


async def test_kill9_mid_burst(tmp_path: Path, store_url: str) -> None:
    srv = ServerProcess(
        tmp_path / "data", store_url, sends_per_user_per_sec=100000, send_burst=100000
    )
    await srv.start()
    try:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http:
            a, b = await api.signup(http), await api.signup(http)
            await api.befriend(http, a, b)
            channel = await api.direct(http, a, b)
            devices = [
                await api.login(http, (a if n % 2 else b).username, device=f"d{n}")
                for n in range(SENDERS)
            ]
        sockets = []
        for dev in devices:
            ws = await WsClient.connect(srv.ws_url)
            await ws.hello(dev.token)
            sockets.append(ws)
        acked: dict[str, int] = {}
        tasks = [
            asyncio.create_task(_blast(ws, channel, f"s{n}", acked)) for n, ws in enumerate(sockets)
        ]
        while len(acked) < 200:  # noqa: ASYNC110 - polling shared state filled by tasks
            await asyncio.sleep(0.005)
        await srv.kill9()
        await asyncio.gather(*tasks)
        assert 200 <= len(acked) < SENDERS * PER_SENDER

        await srv.start()
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http:
            history = await api.all_history(http, a, channel)
            by_client = {m["client_msg_id"]: m["message_id"] for m in history}
            for client_msg_id, message_id in acked.items():
                assert by_client.get(client_msg_id) == message_id
            assert [m["message_id"] for m in history] == list(range(1, len(history) + 1))

            # Every client resends what it did not see acknowledged, with the same ids.
            for n, dev in enumerate(devices):
                ws = await WsClient.connect(srv.ws_url)
                await ws.hello(dev.token)
                missing = [i for i in range(PER_SENDER) if f"s{n}-{i}" not in acked]
                for i in missing:
                    ws.send(
                        {
                            "type": "send",
                            "channel_id": channel,
                            "client_msg_id": f"s{n}-{i}",
                            "text": f"s{n} {i}",
                        }
                    )
                for _ in missing:
                    await ws.expect("sent", timeout=20)
                await ws.close()
            history = await api.all_history(http, a, channel)
        ids = [m["client_msg_id"] for m in history]
        assert len(ids) == len(set(ids)) == SENDERS * PER_SENDER
        assert [m["message_id"] for m in history] == list(range(1, SENDERS * PER_SENDER + 1))
    finally:
        await srv.stop()
