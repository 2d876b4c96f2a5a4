"""One WebSocket to a gateway, as a stream of text frames: bytes in, bytes out; and
finding a gateway to open it to.

Knows nothing of chinwag's frames; `ChatSession` gives them meaning. picows calls the
listener from the event loop; the listener only queues, so no session logic ever runs
inside a picows callback.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from picows import WSCloseCode, WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from chinwag.client.errors import ChinwagApiError, ServerUnreachable
from chinwag.client.http import ApiClient, websocket_url
from chinwag.client.options import SessionOptions

log = logging.getLogger("chinwag.client")


class ConnectFailed(Exception):
    """The socket could not be opened (refused, timed out, handshake refused)."""


class _Listener(WSListener):  # type: ignore[misc]
    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn
        self._fragments: list[bytes] = []

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._conn._transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        conn = self._conn
        conn.last_received = conn.loop.time()
        kind = frame.msg_type
        if kind == WSMsgType.TEXT:
            if frame.fin:
                conn._push(frame.get_payload_as_bytes())
            else:
                self._fragments = [frame.get_payload_as_bytes()]
        elif kind == WSMsgType.CONTINUATION and self._fragments:
            # picows enforces max_frame_size per frame; the server never fragments, so
            # a fragmented message is rare enough to simply collect.
            self._fragments.append(frame.get_payload_as_bytes())
            if frame.fin:
                conn._push(b"".join(self._fragments))
                self._fragments = []
        elif kind == WSMsgType.CLOSE:
            conn.close_code = int(frame.get_close_code().value)
            conn.close_reason = frame.get_close_message().decode("utf-8", "replace")
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code())
            transport.disconnect()
        # PING is answered by picows itself; PONG and BINARY need nothing.

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._conn._disconnected()


class Connection:
    """A connected WebSocket whose received text frames wait in a bounded buffer.

    Past `high_water` unread frames the socket stops being read until the reader has
    caught up to half of that, so memory stays bounded and TCP pushes back on the
    server (which cuts off a client that stays behind with 4009; it then reconnects).
    `close_code` is the code of the peer's close frame, or None if the connection
    dropped without one.
    """

    def __init__(self, url: str, high_water: int) -> None:
        self.url = url
        self.loop = asyncio.get_running_loop()
        self.last_received = self.loop.time()
        self.close_code: int | None = None
        self.close_reason = ""
        self._high_water = max(2, high_water)
        self._frames: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._transport: WSTransport | None = None
        self._paused = False
        self._closing = False
        self._gone = False

    @classmethod
    async def open(
        cls, url: str, *, timeout: float, max_frame_bytes: int, high_water: int = 512
    ) -> Connection:
        conn = cls(url, high_water)
        try:
            await asyncio.wait_for(
                ws_connect(
                    lambda: _Listener(conn),
                    url,
                    websocket_handshake_timeout=timeout,
                    max_frame_size=max_frame_bytes,
                    enable_auto_pong=True,
                ),
                # A little longer than picows's own handshake timeout, which cleans
                # up after itself; this one covers the TCP connect.
                timeout + 1.0,
            )
        except (OSError, WSError, TimeoutError, ValueError) as exc:
            raise ConnectFailed(f"{url}: {exc or type(exc).__name__}") from None
        return conn

    @property
    def paused(self) -> bool:
        """True while reading is paused because the reader fell behind."""
        return self._paused

    @property
    def is_open(self) -> bool:
        return not self._gone

    # -- called by the listener ------------------------------------------------------

    def _push(self, data: bytes) -> None:
        self._frames.append(data)
        self._ready.set()
        if len(self._frames) >= self._high_water and not self._paused and self._transport:
            self._transport.underlying_transport.pause_reading()
            self._paused = True

    def _disconnected(self) -> None:
        self._gone = True
        self._ready.set()

    # -- used by the session -------------------------------------------------------------

    async def recv(self) -> bytes | None:
        """The next text frame, or None once the connection is closed and drained."""
        while not self._frames:
            if self._gone:
                return None
            self._ready.clear()
            await self._ready.wait()
        data = self._frames.popleft()
        if self._paused and len(self._frames) <= self._high_water // 2:
            self._paused = False
            if self._transport is not None and not self._gone:
                self._transport.underlying_transport.resume_reading()
        return data

    def send(self, data: bytes) -> bool:
        """Queue one text frame; False if the connection is already closed."""
        if self._gone or self._transport is None:
            return False
        self._transport.send(WSMsgType.TEXT, data)
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start a clean close; `recv` returns None once the socket is gone."""
        if self._closing or self._gone or self._transport is None:
            return
        self._closing = True
        self._transport.send_close(WSCloseCode(code), reason.encode()[:120])
        self._transport.disconnect(graceful=True)

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake."""
        if not self._gone and self._transport is not None:
            self._closing = True
            self._transport.disconnect(graceful=False)

    async def wait_closed(self) -> None:
        if self._transport is not None:
            await self._transport.wait_disconnected()

    async def heartbeat(self, ping: bytes, interval: float) -> None:
        """Send `ping` every `interval` seconds until closed. Silence for three
        intervals (pongs included) means a dead path even if TCP has not noticed, so
        the connection is dropped; not while reading is paused on purpose."""
        interval = max(0.1, interval)
        while not self._gone:
            await asyncio.sleep(interval)
            if not self._paused and self.loop.time() - self.last_received > 3 * interval:
                self.abort()
                return
            self.send(ping)


async def dial(
    api: ApiClient, fallbacks: Sequence[str], options: SessionOptions
) -> Connection | None:
    """A connection to the first gateway that answers: those `/v1/discovery` ranks,
    best first, then `fallbacks` (such as the login's gateways), then the API host's
    own `/v1/ws`. None if none answers."""
    urls: list[str] = []
    try:
        urls += [g.url for g in await api.discovery(timeout=options.connect_timeout)]
    except (ChinwagApiError, ServerUnreachable) as exc:
        log.info("discovery failed: %s", exc)
    urls += fallbacks
    urls.append(websocket_url(api.base_url))
    for url in dict.fromkeys(urls):
        try:
            return await Connection.open(
                url,
                timeout=options.connect_timeout,
                max_frame_bytes=options.max_frame_bytes,
                high_water=options.frame_buffer,
            )
        except ConnectFailed as exc:
            log.info("cannot connect: %s", exc)
    return None
