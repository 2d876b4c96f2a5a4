"""kill -9 of the server during a burst of sends: nothing acknowledged is lost, ids stay
gapless, and resending what was not acknowledged stores each message exactly once; on
SQLite the search index (a file of its own) still holds exactly the stored messages."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import httpx

from tests.helpers import api
from tests.helpers.process import ServerProcess
from tests.helpers.searchindex import check_search_index
from tests.helpers.wsclient import WsClient

SENDERS = 4
WINDOW = 64


async def _blast(
    ws: WsClient, channel: str, tag: str, sent: list[str], acked: dict[str, int]
) -> None:
    """Send without end, WINDOW unacknowledged at a time, until the socket drops: the burst
    is always in progress when the server is killed, however fast the machine."""
    in_flight = 0
    for i in itertools.count():
        while in_flight >= WINDOW:
            if ws.listener.frames.empty():
                if ws.listener.closed.is_set():
                    return
                await asyncio.sleep(0.001)
                continue
            frame = ws.listener.frames.get_nowait()
            assert frame["type"] != "error", frame
            if frame["type"] == "sent":
                acked[frame["client_msg_id"]] = frame["message_id"]
                in_flight -= 1
        client_msg_id = f"{tag}-{i}"
        ws.send(
            {
                "type": "send",
                "channel_id": channel,
                "client_msg_id": client_msg_id,
                "text": f"{tag} {i}",
            }
        )
        sent.append(client_msg_id)
        in_flight += 1


async def test_kill9_mid_burst(tmp_path: Path, store_url: str) -> None:
    srv = ServerProcess(
        tmp_path / "data", store_url, sends_per_user_per_sec=100000, send_burst=100000
    )
    await srv.start()
    try:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as http:
            a, b, channel = await api.friends_in_chat(http)
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
        sent: list[list[str]] = [[] for _ in sockets]
        tasks = [
            asyncio.create_task(_blast(ws, channel, f"s{n}", sent[n], acked))
            for n, ws in enumerate(sockets)
        ]
        while len(acked) < 200:
            assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
            await asyncio.sleep(0.005)
        await srv.kill9()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        total = sum(len(ids) for ids in sent)
        assert 200 <= len(acked) <= total

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
                missing = [cid for cid in sent[n] if cid not in acked]
                for cid in missing:
                    tag, i = cid.split("-")
                    ws.send(
                        {
                            "type": "send",
                            "channel_id": channel,
                            "client_msg_id": cid,
                            "text": f"{tag} {i}",
                        }
                    )
                for _ in missing:
                    await ws.expect("sent", timeout=20, skip=("message",))
                await ws.close()
            history = await api.all_history(http, a, channel)
        ids = [m["client_msg_id"] for m in history]
        assert len(ids) == len(set(ids)) == total
        assert set(ids) == {cid for ids_ in sent for cid in ids_}
        assert [m["message_id"] for m in history] == list(range(1, total + 1))
    finally:
        await srv.stop()
    if not store_url:
        # SQLite: the search index, in its own file, holds exactly the stored messages.
        code, report = await asyncio.to_thread(check_search_index, tmp_path / "data")
        assert code == 0 and report["missing"] == report["extra"] == 0, report
