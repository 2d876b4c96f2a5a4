"""Serving HTTP (ASGI) and the WebSocket hot path on one port.

uvicorn parses every request; an upgrade to WebSocket is handed, with its socket, to a
picows protocol (the fastest Python WebSocket stack measured here, see
docs/architecture.md), so frames never pass through ASGI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from picows import (
    WSAutoPingStrategy,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)
from picows.api import _resolve_logger
from picows.picows import WSProtocol  # type: ignore[attr-defined]
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chinwag.edge import Edge, Origins, TrustedProxies, plain_answer
from chinwag.gateway.connection import Connection
from chinwag.gateway.hub import Hub

log = logging.getLogger("chinwag.gateway")

WS_PATH = b"/v1/ws"


def _refuse(status: int, text: str) -> WSUpgradeResponseWithListener:
    response = WSUpgradeResponse.create_error_response(status, text.encode())
    return WSUpgradeResponseWithListener(response, None)


def listener_factory(hub: Hub) -> Callable[[WSUpgradeRequest, str], Any]:
    origins = Origins.parse(hub.settings.allowed_origins, hub.settings.public_url)

    def factory(request: WSUpgradeRequest, address: str) -> Any:
        path = request.path.split(b"?", 1)[0]
        if path != WS_PATH:
            return None
        if not hub.accepting:
            return _refuse(503, "gateway is draining; ask /v1/discovery for another")
        if hub.connection_count >= hub.settings.capacity:
            return _refuse(503, "gateway is full; ask /v1/discovery for another")
        origin = request.headers.get("Origin")
        if not origins.permits(origin, request.headers.get("Host")):
            return _refuse(403, "origin not allowed")
        if hub.address_full(address):
            return _refuse(429, "too many connections from this address")
        return Connection(hub, address)

    return factory


def make_ws_protocol(hub: Hub, address: str) -> Any:
    factory = listener_factory(hub)
    return WSProtocol(
        None,
        None,
        False,
        lambda request: factory(request, address),
        _resolve_logger("chinwag.ws", "server", prefix=""),
        True,  # disconnect on exception
        hub.settings.hello_timeout,  # HTTP upgrade deadline
        False,  # auto ping: presence uses client frames instead
        20.0,
        20.0,
        WSAutoPingStrategy.PING_WHEN_IDLE,
        False,  # no auto pong: pings are answered by Connection, after the frame rate
        hub.settings.max_frame_bytes,
        None,
        1024,  # small initial read buffer: idle sockets stay cheap
    )


# Seconds a refused connection keeps reading (and dropping) what the client still sends,
# so that closing with unread input does not reset the connection before our answer.
LINGER = 2.0
# Request targets whose bodies stream for as long as they keep moving (uploads).
STREAMED_PATHS = (b"/v1/uploads",)


class ChinwagHttpProtocol(HttpToolsProtocol):  # type: ignore[misc]
    """uvicorn's httptools protocol, handing WebSocket upgrades to picows, and holding
    every request to the limits of `edge.Edge` (httptools itself has no header size
    limit: uvicorn's `h11_max_incomplete_event_size` applies to the h11 parser only).

    * Headers: at most `max_header_bytes`, counted as they arrive, before the parser
      buffers more; complete within `header_timeout` of the request's first byte (or of
      the connection opening). Too big: 431; too slow (slowloris): the connection drops.
    * Body: complete within `body_timeout` of the headers, whether or not the route
      reads it; else 408. Uploads (STREAMED_PATHS) may take as long as they need while
      bytes keep coming: for them `body_timeout` is the longest silence. A client that
      goes away mid-body is the route's concern (`api/errors.py`), not an error.
    * Client address: from `X-Forwarded-For` only when the peer is a trusted proxy.
    """

    edge = Edge()
    _deadline: Any = None
    _body_deadline: Any = None
    _head_open = False
    _head_bytes = 0  # bytes of reads that ended inside the head
    _head_size = 0  # request line and headers as parsed
    _in_body = False
    _refused = False
    _streamed = False  # a body of STREAMED_PATHS: body_timeout is an idle limit
    _body_seen = 0.0  # loop time of its latest bytes

    @classmethod
    def bound(cls, edge: Edge) -> type[ChinwagHttpProtocol]:
        """This protocol with the limits of one server."""
        return type(cls.__name__, (cls,), {"edge": edge})

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._head_open = True
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # answered and closing: drop the rest
        open_before = self._head_open
        super().data_received(data)
        if open_before and self._head_open and not self._refused:
            # A head still incomplete after these bytes: they were all head. Counting
            # here bounds what the parser buffers before the head ends.
            self._head_bytes += len(data)
            if self._head_bytes > self.edge.max_header_bytes:
                self._head_too_big()
                return
        if self._in_body and not self._refused:
            if self._streamed:
                self._body_seen = self.loop.time()
            if self._body_deadline is None:
                self._body_deadline = self.loop.call_later(self.edge.body_timeout, self._body_late)

    # Parser callbacks. After a refusal the parser may still run over the rest of the
    # bytes it was given; they are ignored.

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = 0
        self._head_size = 0
        self._arm()

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        self._head_open = False
        if self._head_size > self.edge.max_header_bytes:
            # A head that came in one read: counted exactly here.
            self._head_too_big()
            return
        self._in_body = True
        self._streamed = self.url.startswith(STREAMED_PATHS)
        proxies = self.edge.proxies
        if proxies.networks and self.client and proxies.trusts(self.client[0]):
            self._believe_proxy(proxies, self.client[0])
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._in_body = False
        self._disarm_body()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._disarm_body()
        super().connection_lost(exc)

    def _believe_proxy(self, proxies: TrustedProxies, peer: str) -> None:
        headers = self.headers
        forwarded = [v for n, v in headers if n == b"x-forwarded-for"]
        if forwarded:
            self.scope["client"] = (proxies.client_of(peer, forwarded), 0)
        for name, value in headers:
            if name == b"x-forwarded-proto" and value.strip().lower() in (b"https", b"wss"):
                self.scope["scheme"] = "https"

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.edge.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _disarm_body(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.abort()

    def _head_too_big(self) -> None:
        self._refuse(
            431,
            "Request Header Fields Too Large",
            "too_large",
            f"request headers are larger than {self.edge.max_header_bytes} bytes",
        )

    def _body_late(self) -> None:
        self._body_deadline = None
        if not self._in_body:
            return
        quiet = self.loop.time() - self._body_seen
        if self._streamed and quiet < self.edge.body_timeout:
            # Bytes keep coming: wait again, from the latest of them.
            self._body_deadline = self.loop.call_later(
                self.edge.body_timeout - quiet, self._body_late
            )
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_complete:
            # Answered without the body (a 413 from Content-Length, a route that takes
            # none): the rest of it was being read only to reach the next request.
            self.transport.abort()
            return
        self._refuse(408, "Request Timeout", "invalid_request", "request body not received in time")

    def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
        """Answer `status` and end the connection, whatever the route is doing."""
        self._refused = True
        self._disarm()
        self._disarm_body()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:
                self.transport.abort()  # an answer is half out: nothing else can follow
                return
            # The route sees the client gone; whatever it answers goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.write(plain_answer(status, reason, code, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.abort)

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        # From here on the socket is the WebSocket's: no HTTP deadline may touch it.
        self._in_body = self._head_open = False
        self._refused = True
        hub = self.app_state.get("chinwag_hub")
        if hub is None:
            self.send_400_response("WebSocket is not served by this process")
            return
        self.connections.discard(self)
        head = [self.scope["method"].encode(), b" ", self.url, b" HTTP/1.1\r\n"]
        for name, value in self.scope["headers"]:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        data = memoryview(b"".join(head))
        peer = self.scope.get("client")
        client = peer[0] if peer else "?"
        proto = make_ws_protocol(hub, client)
        self.transport.set_protocol(proto)
        proto.connection_made(self.transport)
        while data:
            buf = proto.get_buffer(len(data))
            n = min(len(buf), len(data))
            buf[:n] = data[:n]
            proto.buffer_updated(n)
            data = data[n:]
