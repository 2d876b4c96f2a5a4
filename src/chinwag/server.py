"""Running the ASGI app and the WebSocket gateway on one port with uvicorn on uvloop.

uvicorn handles SIGTERM and Ctrl-C: it stops accepting, lets in-flight requests finish,
then runs the app's shutdown (sockets drained with 1001, storage closed).
"""

from __future__ import annotations

import signal
import socket
from typing import Any

import uvicorn

from chinwag.app import App
from chinwag.config import Settings
from chinwag.edge import Edge, TrustedProxies, parse_networks
from chinwag.gateway.upgrade import ChinwagHttpProtocol


def _ws_marker(**_: Any) -> None:  # pragma: no cover - never called
    """uvicorn only hands upgrades to the HTTP protocol when a ws class is configured;
    ChinwagHttpProtocol takes the upgrade itself, so this is never instantiated."""


def edge(s: Settings) -> Edge:
    return Edge(
        header_timeout=s.header_timeout,
        max_header_bytes=s.max_header_bytes,
        body_timeout=s.body_timeout,
        proxies=TrustedProxies(parse_networks(s.trusted_proxies)),
    )


def uvicorn_config(app: App, *, loop: str = "uvloop") -> uvicorn.Config:
    s = app.settings
    return uvicorn.Config(
        app.asgi,
        host=s.host,
        port=s.port,
        loop=loop,
        http=ChinwagHttpProtocol.bound(edge(s)),
        ws=_ws_marker,  # type: ignore[arg-type]
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=15,
        timeout_graceful_shutdown=max(10, int(s.drain_seconds) + 10),
        # Forwarding headers are read by ChinwagHttpProtocol, from trusted proxies only;
        # uvicorn's own reading would believe any client on loopback.
        proxy_headers=False,
        backlog=4096,
    )


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def run(app: App) -> None:
    # uvicorn re-raises the signal that stopped it once it is done; with these no-op
    # handlers in place that ends in a normal exit (status 0) after the clean shutdown.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    server = uvicorn.Server(uvicorn_config(app))
    sock = bind(app.settings.host, app.settings.port)
    app.listening(app.settings.host, sock.getsockname()[1])
    print(f"chinwag listening on http://{app.settings.host}:{sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
