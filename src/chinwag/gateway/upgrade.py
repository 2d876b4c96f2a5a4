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

from chinwag.gateway.connection import Connection
from chinwag.gateway.hub import Hub

log = logging.getLogger("chinwag.gateway")

WS_PATH = b"/v1/ws"


def _refuse(status: int, text: str) -> WSUpgradeResponseWithListener:
    response = WSUpgradeResponse.create_error_response(status, text.encode())
    return WSUpgradeResponseWithListener(response, None)


def listener_factory(hub: Hub) -> Callable[[WSUpgradeRequest, str], Any]:
    allowed = {o.strip() for o in hub.settings.allowed_origins.split(",") if o.strip()}

    def factory(request: WSUpgradeRequest, address: str) -> Any:
        path = request.path.split(b"?", 1)[0]
        if path != WS_PATH:
            return None
        if not hub.accepting:
            return _refuse(503, "gateway is draining; ask /v1/discovery for another")
        if hub.connection_count >= hub.settings.capacity:
            return _refuse(503, "gateway is full; ask /v1/discovery for another")
        origin = request.headers.get("Origin")
        if allowed and "*" not in allowed and origin is not None and origin not in allowed:
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
        True,  # auto pong
        hub.settings.max_frame_bytes,
        None,
        1024,  # small initial read buffer: idle sockets stay cheap
    )


HEADER_DEADLINE = 10.0


class ChinwagHttpProtocol(HttpToolsProtocol):  # type: ignore[misc]
    """uvicorn's httptools protocol, handing WebSocket upgrades to picows, and cutting
    off clients that send request headers too slowly (slowloris): each request's
    headers must be complete within `header_timeout` seconds of its first byte (or of
    the connection opening)."""

    _deadline: Any = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            hub = self.app_state.get("chinwag_hub")
            limit = hub.settings.header_timeout if hub is not None else HEADER_DEADLINE
            self._deadline = self.loop.call_later(limit, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.abort()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
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
        client = self.client[0] if self.client else "?"
        proto = make_ws_protocol(hub, client)
        self.transport.set_protocol(proto)
        proto.connection_made(self.transport)
        while data:
            buf = proto.get_buffer(len(data))
            n = min(len(buf), len(data))
            buf[:n] = data[:n]
            proto.buffer_updated(n)
            data = data[n:]
