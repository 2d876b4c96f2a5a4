"""The server's side of the closing handshake (RFC 6455 5.5.1, 7.1.1).

When the server closes a socket it sends its close frame and then reads on, dropping
what the client still sends, until the client's close answers it. Closing the TCP socket
with the client's frames unread would reset the connection, and a reset throws away
what the server's kernel has not sent yet: a client that is behind would lose the close
frame and never learn why it was cut off."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from chinwag.gateway.connection import CLOSE_WAIT
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


class _Silent(WSListener):  # type: ignore[misc]
    """Records the close frame and does not answer it."""

    def __init__(self) -> None:
        self.close_code: int | None = None
        self.got_close = asyncio.Event()
        self.gone = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            self.close_code = int(frame.get_close_code())
            self.got_close.set()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.gone.set()


async def test_server_waits_for_the_answer_to_its_close(server: RunningServer) -> None:
    transport, listener = await ws_connect(_Silent, server.ws_url)
    transport.send(WSMsgType.TEXT, b'{"type": "ping"}')  # not hello: closed with 4000
    await asyncio.wait_for(listener.got_close.wait(), 5)
    assert listener.close_code == 4000
    # Unanswered, the socket stays open, and what the client sends is read and dropped.
    for _ in range(20):
        transport.send(WSMsgType.TEXT, b'{"type": "ping"}')
    await asyncio.sleep(CLOSE_WAIT / 4)
    assert not listener.gone.is_set()
    # The answer ends it at once.
    transport.send_close()
    await asyncio.wait_for(listener.gone.wait(), CLOSE_WAIT / 2)


async def test_an_unanswered_close_ends_after_the_wait(server: RunningServer) -> None:
    transport, listener = await ws_connect(_Silent, server.ws_url)
    transport.send(WSMsgType.TEXT, b"not json")
    await asyncio.wait_for(listener.got_close.wait(), 5)
    await asyncio.wait_for(listener.gone.wait(), CLOSE_WAIT + 2)
    assert len(server.app.hub.sockets) == 0


@pytest.mark.parametrize("settings_overrides", [{"send_buffer_bytes": 256 * 1024}])
async def test_slow_reader_that_catches_up_learns_why(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    slow = await WsClient.connect(server.ws_url)
    await slow.hello(b.token)
    slow.transport.underlying_transport.pause_reading()
    hub = server.app.hub
    text = "z" * 60_000
    for i in range(200):
        wa.send({"type": "send", "channel_id": channel, "client_msg_id": f"big{i}", "text": text})
        await wa.expect("sent", timeout=10)
        if hub.metrics.slow_closes:
            break
    assert hub.metrics.slow_closes == 1
    for _ in range(50):  # the client, unaware, goes on sending
        slow.send({"type": "ping"})
    await asyncio.sleep(0.5)
    slow.transport.underlying_transport.resume_reading()
    assert await slow.closed(timeout=10) == 4009
    await wa.close()
