"""Strict WebSocket framing (RFC 6455): reserved bits, UTF-8 text, binary before hello,
and control frames counted in the frame rate."""

from __future__ import annotations

import httpx
import pytest
from picows import WSMsgType

from chinwag.protocol import framing
from chinwag.protocol.session import Phase
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"frames_per_sec": 50}


async def _live(server: RunningServer, http: httpx.AsyncClient) -> WsClient:
    user = await api.signup(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(user.token)
    return ws


def test_rules_are_pure() -> None:
    for phase in Phase:
        assert framing.check_frame(phase, False, True) == framing.NO_EXTENSIONS
        assert framing.check_frame(phase, False, False) is None
    assert framing.check_frame(Phase.AWAITING_HELLO, True, False) == framing.BINARY_FIRST
    assert framing.check_frame(Phase.LIVE, True, False) is None
    assert framing.check_text(b'{"type":"ping"}') is None
    assert framing.check_text('{"text":"\u00e9\u6f22\U0001f600"}'.encode()) is None
    for bad in (b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe6\xbc", b"\xf4\x90\x80\x80"):
        assert framing.check_text(bad) == framing.BAD_UTF8, bad
    rate = framing.FrameRate(3, now=10.0)
    assert [rate.over(10.0 + i / 10) for i in range(4)] == [False, False, False, True]
    assert rate.over(11.5) is False  # a new window


@pytest.mark.parametrize("live", [False, True], ids=["before-hello", "live"])
async def test_reserved_bits_close_1002(
    server: RunningServer, http: httpx.AsyncClient, live: bool
) -> None:
    ws = await _live(server, http) if live else await WsClient.connect(server.ws_url)
    ws.transport.send(WSMsgType.TEXT, b'{"type":"ping"}', rsv1=True)
    assert await ws.closed() == 1002


async def test_text_that_is_not_utf8_closes_1007(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    for payload in (
        b'{"type":"ping","note":"\xff"}',  # in a field the decoder would skip
        b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"\xc0\x80"}',
    ):
        ws = await _live(server, http)
        ws.transport.send(WSMsgType.TEXT, payload)
        assert await ws.closed() == 1007
    # Split across fragments, a character cut in two is fine; bad bytes are not.
    ws = await _live(server, http)
    ws.transport.send(WSMsgType.TEXT, '{"type":"ping","n":"\u00e9'.encode()[:-1], fin=False)
    ws.transport.send(WSMsgType.CONTINUATION, '\u00e9"}'.encode()[1:], fin=True)
    await ws.expect("pong")
    ws.transport.send(WSMsgType.TEXT, b'{"type":"ping","n":"', fin=False)
    ws.transport.send(WSMsgType.CONTINUATION, b'\xfe"}', fin=True)
    assert await ws.closed() == 1007


async def test_fragments_follow_the_rules_of_5_4(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    ws = await _live(server, http)
    ws.transport.send(WSMsgType.CONTINUATION, b'{"type":"ping"}', fin=True)
    assert await ws.closed() == 1002  # nothing to continue
    ws = await _live(server, http)
    ws.transport.send(WSMsgType.TEXT, b'{"type":', fin=False)
    ws.transport.send_ping(b"control frames may come between fragments")
    ws.transport.send(WSMsgType.CONTINUATION, b'"ping"}', fin=True)
    await ws.expect("pong")
    ws.transport.send(WSMsgType.TEXT, b'{"type":', fin=False)
    ws.transport.send(WSMsgType.TEXT, b'{"type":"ping"}')  # a new message inside it
    assert await ws.closed() == 1002


async def test_binary_before_hello_closes_4000(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    ws = await WsClient.connect(server.ws_url)
    ws.transport.send(WSMsgType.BINARY, b'{"type":"hello","token":"x"}')
    assert await ws.closed() == 4000
    # After hello it is only refused, and the socket stays.
    ws = await _live(server, http)
    ws.transport.send(WSMsgType.BINARY, b"\x00\x01")
    assert (await ws.expect("error"))["code"] == "invalid_request"
    ws.send({"type": "ping"})
    await ws.expect("pong")
    await ws.close()


async def test_control_frames_count_against_the_frame_rate(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    ws = await _live(server, http)
    ws.transport.send_ping(b"one")
    await wait_for(lambda: ws.listener.pongs == 1)  # pings are still answered
    for _ in range(200):
        ws.transport.send_ping(b"flood")
    assert await ws.closed() == 4008
    # Pongs nobody asked for count as well.
    ws = await _live(server, http)
    for _ in range(200):
        ws.transport.send(WSMsgType.PONG, b"")
    assert await ws.closed() == 4008
