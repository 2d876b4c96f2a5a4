"""Service discovery and presence lookups."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import http
from chinwag.errors import invalid


async def gateways_for(request: Request) -> list[dict[str, Any]]:
    svc = http.services(request)
    region = request.query_params.get("region") or request.headers.get("x-chinwag-region")
    ranked = await svc.discovery.best(region)
    scheme = "wss" if request.url.scheme == "https" else "ws"
    host = request.headers.get("host", f"{svc.settings.host}:{svc.settings.port}")
    return [
        {
            "id": g.id,
            "url": g.url or f"{scheme}://{host}/v1/ws",
            "region": g.region,
            "load": round(g.load, 4),
        }
        for g in ranked
    ]


async def discovery(request: Request) -> Response:
    return http.json({"gateways": await gateways_for(request)})


async def presence(request: Request) -> Response:
    device = await http.device(request)
    raw = request.query_params.get("user_ids", "")
    ids = [i for i in raw.split(",") if i]
    if not ids:
        raise invalid("user_ids is required (comma-separated)")
    if len(ids) > 1000:
        raise invalid("at most 1000 user_ids per call")
    found = await http.services(request).presence.lookup(device.user_id, ids)
    return http.json({"presence": found})
