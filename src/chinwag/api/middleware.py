"""Per-request logging and metrics, security headers, and the edge rule on paths and
queries, as plain ASGI middleware."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chinwag.api.errors import error_response
from chinwag.api.metrics import Metrics
from chinwag.errors import Code
from chinwag.protocol.strings import NUL_REFUSED

log = logging.getLogger("chinwag.http")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        # 'wasm-unsafe-eval': the end-to-end encryption library is WebAssembly (compiling
        # it is all this allows; eval stays refused).
        b"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';"
        # blob: for pictures of messages, fetched with the token and shown from memory.
        b" img-src 'self' https: data: blob:;"
        b" connect-src 'self' ws: wss:; worker-src 'self'; frame-ancestors 'none';"
        b" base-uri 'none'; form-action 'self'",
    ),
]


# API answers are per caller and may carry tokens: no cache, shared or private, keeps them.
NO_STORE = (b"cache-control", b"no-store")
API_PATHS = ("/v1/", "/openapi.json", "/metrics", "/healthz", "/readyz")


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[Any]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = [r for r in routes if isinstance(r, Route)]

    def _template(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(route.path)
        return "static" if scope["method"] == "GET" else "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        path = scope["path"]
        api = path.startswith(API_PATHS)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                # A route's own (e.g. the stricter policy of downloads) stands.
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if api and b"cache-control" not in present:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            if "\x00" in path or b"%00" in scope.get("query_string", b""):
                # The one rule for U+0000 (protocol/strings.py) covers paths and queries.
                await error_response(Code.INVALID_REQUEST, NUL_REFUSED, 400)(
                    scope, receive, send_wrapper
                )
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = self._template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
