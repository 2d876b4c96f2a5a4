"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from chinwag.api import http
from chinwag.errors import unavailable


async def healthz(request: Request) -> Response:
    return http.json({"status": "ok"})


async def readyz(request: Request) -> Response:
    svc = http.services(request)
    if not await svc.store.ping():
        raise unavailable("storage is not reachable")
    if not getattr(svc.bus, "connected", True):
        raise unavailable("the bus (NATS) is not reachable")
    return http.json({"status": "ready"})


async def metrics(request: Request) -> Response:
    return PlainTextResponse(
        request.app.state.metrics.render(), media_type="text/plain; version=0.0.4"
    )


async def openapi(request: Request) -> Response:
    return http.json(request.app.state.openapi)
