"""1:1 messaging over real sockets: delivery, multi-device sync, idempotency, refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


async def _collect(ws: WsClient, count: int) -> list[dict[str, Any]]:
    return [await ws.expect("message") for _ in range(count)]


async def test_direct_channel_rules(http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    again = await http.post(
        "/v1/channels", json={"kind": "direct", "user_id": a.id}, headers=b.auth
    )
    assert again.status_code == 200 and again.json()["id"] == channel
    got = (await http.get(f"/v1/channels/{channel}", headers=a.auth)).json()
    assert got["kind"] == "direct" and sorted(got["members"]) == sorted([a.id, b.id])
    listed = (await http.get("/v1/channels", headers=b.auth)).json()["channels"]
    assert [c["id"] for c in listed] == [channel]
    assert listed[0]["last_read_message_id"] == 0
    c = await api.signup(http)
    r = await http.post("/v1/channels", json={"kind": "direct", "user_id": c.id}, headers=a.auth)
    assert r.status_code == 403
    r = await http.post("/v1/channels", json={"kind": "direct", "user_id": a.id}, headers=a.auth)
    assert r.status_code == 400
    r = await http.post("/v1/channels", json={"kind": "nope"}, headers=a.auth)
    assert r.status_code == 400
    for path in (f"/v1/channels/{channel}", f"/v1/channels/{channel}/messages"):
        r = await http.get(path, headers=c.auth)
        assert r.status_code in (403, 404)
    assert (await http.get("/v1/channels/cNoSuch", headers=a.auth)).status_code == 404


async def test_two_users_two_devices_stay_exact(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    a2 = await api.login(http, a.username, device="a2")
    b2 = await api.login(http, b.username, device="b2")
    devices = {}
    for name, user in (("a1", a), ("a2", a2), ("b1", b), ("b2", b2)):
        devices[name] = await WsClient.connect(server.ws_url)
        await devices[name].hello(user.token, cursor=0)
        await devices[name].expect("synced")

    for i in range(10):
        sender = devices["a1"] if i % 2 == 0 else devices["b1"]
        sender.send(
            {"type": "send", "channel_id": channel, "client_msg_id": f"m{i}", "text": f"hello {i}"}
        )
        await sender.expect("sent")
    seen = {name: await _collect(ws, 10) for name, ws in devices.items()}
    ids = {name: [f["message"]["message_id"] for f in frames] for name, frames in seen.items()}
    assert all(v == list(range(1, 11)) for v in ids.values()), ids
    assert [f["cursor"] for f in seen["a1"]] == list(range(1, 11))

    # b2 drops, misses five messages, reconnects with its cursor and matches the rest.
    cursor_b2 = seen["b2"][-1]["cursor"]
    await devices["b2"].close()
    for i in range(10, 15):
        devices["a2"].send(
            {"type": "send", "channel_id": channel, "client_msg_id": f"m{i}", "text": f"x{i}"}
        )
        await devices["a2"].expect("sent")
    live_b1 = await _collect(devices["b1"], 5)
    back = await WsClient.connect(server.ws_url)
    await back.hello(b2.token, cursor=cursor_b2)
    replay = await _collect(back, 5)
    synced = await back.expect("synced")
    assert [f["message"] for f in replay] == [f["message"] for f in live_b1]
    assert [f["cursor"] for f in replay] == [f["cursor"] for f in live_b1]
    assert synced["cursor"] == live_b1[-1]["cursor"]
    assert back.pending() == []
    # History agrees with what every device saw.
    hist = await api.history(http, a, channel, limit=200)
    assert [m["message_id"] for m in hist] == list(range(1, 16))
    for ws in (*devices.values(), back):
        if not ws.transport.is_disconnected:
            await ws.close()


async def test_sync_frame_and_reset(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    for i in range(8):
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"h{i}", "text": str(i)},
            headers=a.auth,
        )
        assert r.status_code == 201
    ws = await WsClient.connect(server.ws_url)
    welcome = await ws.hello(b.token)
    assert welcome["cursor"] == 8
    ws.send({"type": "sync", "cursor": 5})
    replay = await _collect(ws, 3)
    assert [f["cursor"] for f in replay] == [6, 7, 8]
    assert (await ws.expect("synced"))["cursor"] == 8
    ws.send({"type": "sync", "cursor": 8})
    assert (await ws.expect("synced"))["cursor"] == 8
    await ws.close()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sync_backlog_limit": 5}


async def test_backlog_past_limit_sends_reset(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    for i in range(7):
        await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"r{i}", "text": "x"},
            headers=a.auth,
        )
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(b.token, cursor=0)
    reset = await ws.expect("reset")
    assert reset["cursor"] == 7
    ws.send({"type": "sync", "cursor": 3})
    assert [f["cursor"] for f in await _collect(ws, 4)] == [4, 5, 6, 7]
    await ws.close()


async def test_resend_same_client_msg_id_stores_once(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    frame = {"type": "send", "channel_id": channel, "client_msg_id": "dup-1", "text": "once"}
    wa.send(frame)
    first = await wa.expect("sent")
    wa.send(frame)
    second = await wa.expect("sent")
    assert first == second
    # Over HTTP from the same device: the original again.
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "dup-1", "text": "once"},
        headers=a.auth,
    )
    assert r.status_code == 200 and r.json()["message_id"] == first["message_id"]
    # Another device may use the same client_msg_id for its own message.
    a2 = await api.login(http, a.username, device="other")
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "dup-1", "text": "mine"},
        headers=a2.auth,
    )
    assert r.status_code == 201 and r.json()["message_id"] == first["message_id"] + 1
    msgs = await _collect(wb, 2)
    assert [m["message"]["text"] for m in msgs] == ["once", "mine"]
    assert [m["message_id"] for m in await api.history(http, b, channel)] == [1, 2]
    await wa.close()
    await wb.close()


async def test_http_send_reaches_sockets(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "h1", "text": "via http"},
        headers=a.auth,
    )
    assert r.status_code == 201
    body = r.json()
    assert body["message_id"] == 1 and body["sender_id"] == a.id and body["client_msg_id"] == "h1"
    for ws in (wa, wb):
        got = await ws.expect("message")
        assert got["message"] == body
    await wa.close()
    await wb.close()


async def test_non_member_refused_and_nothing_stored(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, _b, channel = await api.friends_in_chat(http)
    c = await api.signup(http)
    wc = await WsClient.connect(server.ws_url)
    await wc.hello(c.token)
    wc.send({"type": "send", "channel_id": channel, "client_msg_id": "intrude", "text": "hi"})
    err = await wc.expect("error")
    assert err["code"] == "forbidden" and err["ref"] == "intrude"
    wc.send({"type": "send", "channel_id": "cNoSuch", "client_msg_id": "nowhere", "text": "hi"})
    err = await wc.expect("error")
    assert err["code"] == "not_found" and err["ref"] == "nowhere"
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "x", "text": "hi"},
        headers=c.auth,
    )
    assert r.status_code == 403
    assert await api.history(http, a, channel) == []
    await wc.close()


BAD_FRAMES: list[tuple[object, str | None]] = [
    (b"{not json", None),
    (b"[1,2]", None),
    ({"type": "shout"}, None),
    ({"type": "send", "client_msg_id": "m1", "text": "x"}, "m1"),
    ({"type": "send", "channel_id": 5, "client_msg_id": "m2", "text": "x"}, "m2"),
    ({"type": "send", "channel_id": "c", "client_msg_id": "m3", "text": ""}, "m3"),
    ({"type": "send", "channel_id": "c", "client_msg_id": "m4", "text": "x" * 100_001}, "m4"),
    ({"type": "send", "channel_id": "c", "client_msg_id": "", "text": "x"}, None),
    ({"type": "send", "channel_id": "c", "client_msg_id": "x" * 65, "text": "x"}, None),
    ({"type": "sync", "cursor": "zero"}, None),
    ({"type": "sync", "cursor": -1}, None),
    ({"type": "read", "channel_id": "c", "message_id": 0}, None),
]


async def test_bad_input_gets_errors_and_connection_survives(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, _b, channel = await api.friends_in_chat(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    for frame, ref in BAD_FRAMES:
        ws.send(frame)  # type: ignore[arg-type]
        err = await ws.expect("error")
        assert err["code"] == "invalid_request", frame
        assert err["ref"] == ref, frame
    ws.transport.send(__import__("picows").WSMsgType.BINARY, b"\x00\x01")
    assert (await ws.expect("error"))["code"] == "invalid_request"
    # 100,000 code points (multi-byte) is allowed; one more is not.
    long_text = "é" * 100_000
    ws.send({"type": "send", "channel_id": channel, "client_msg_id": "long", "text": long_text})
    assert (await ws.expect("sent"))["message_id"] == 1
    assert (await ws.expect("message"))["message"]["text"] == long_text
    hist = await api.history(http, a, channel)
    assert [m["client_msg_id"] for m in hist] == ["long"]
    await ws.close()


async def test_history_paging(http: httpx.AsyncClient) -> None:
    a, _, channel = await api.friends_in_chat(http)
    for i in range(1, 26):
        await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": f"p{i}", "text": str(i)},
            headers=a.auth,
        )
    newest = await api.history(http, a, channel, limit=10)
    assert [m["message_id"] for m in newest] == list(range(16, 26))
    older = await api.history(http, a, channel, before=16, limit=10)
    assert [m["message_id"] for m in older] == list(range(6, 16))
    after = await api.history(http, a, channel, after=20)
    assert [m["message_id"] for m in after] == list(range(21, 26))
    window = await api.history(http, a, channel, after=3, before=7)
    assert [m["message_id"] for m in window] == [4, 5, 6]
    assert len(await api.history(http, a, channel)) == 25
    for bad in ({"limit": 0}, {"limit": 201}, {"before": "x"}, {"after": -1}):
        r = await http.get(f"/v1/channels/{channel}/messages", params=bad, headers=a.auth)
        assert r.status_code == 400, bad


@pytest.mark.parametrize("settings_overrides", [{"send_buffer_bytes": 256 * 1024}])
async def test_stalled_reader_is_cut_off_others_keep_receiving(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    b2 = await api.login(http, b.username, device="stalled")
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    stalled = await WsClient.connect(server.ws_url)
    await stalled.hello(b2.token)
    stalled.transport.underlying_transport.pause_reading()
    hub = server.app.hub
    text = "z" * 60_000
    received = 0
    for i in range(120):
        wa.send({"type": "send", "channel_id": channel, "client_msg_id": f"big{i}", "text": text})
        await wa.expect("sent", timeout=10)
        await wb.expect("message", timeout=10)
        received += 1
        if hub.metrics.slow_closes:
            break
    await wait_for(lambda: hub.metrics.slow_closes == 1, timeout=10)
    await wait_for(lambda: len(hub.by_device.get(b2.device_id, ())) == 0, timeout=10)
    # Delivery to the others goes on.
    wa.send({"type": "send", "channel_id": channel, "client_msg_id": "after", "text": "still here"})
    assert (await wb.expect("message"))["message"]["text"] == "still here"
    assert received < 120
    stalled.transport.disconnect(graceful=False)
    await wa.close()
    await wb.close()


async def test_concurrent_senders_gapless(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    sockets = []
    for user in (a, b):
        for _ in range(2):
            dev = await api.login(http, user.username)
            ws = await WsClient.connect(server.ws_url)
            await ws.hello(dev.token)
            sockets.append(ws)
    for n, ws in enumerate(sockets):
        for i in range(50):
            ws.send(
                {"type": "send", "channel_id": channel, "client_msg_id": f"{n}-{i}", "text": "c"}
            )
    acks = await asyncio.gather(
        *[
            asyncio.gather(
                *[
                    ws.expect(
                        "sent",
                        timeout=20,
                    )
                    for _ in range(50)
                ]
            )
            for ws in sockets
        ]
    )
    ids = sorted(ack["message_id"] for group in acks for ack in group)
    assert ids == list(range(1, 201))
    db = getattr(server.app.services.store, "db", None)
    if db is not None and hasattr(db, "commits"):
        # Group commit: concurrent sends shared transactions (and disk syncs).
        assert db.commits < db.jobs
    hist = await api.history(http, a, channel, limit=200)
    assert [m["message_id"] for m in hist] == list(range(1, 201))
    for ws in sockets:
        await ws.close()
