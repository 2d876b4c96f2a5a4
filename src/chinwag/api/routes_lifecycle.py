"""Devices, export and deleting one's account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from chinwag.api import http
from chinwag.api.bodies import DeleteAccountBody
from chinwag.clock import rfc3339


async def sessions(request: Request) -> Response:
    device = await http.device(request)
    found = await http.services(request).lifecycle.devices(device.user_id)
    return http.json(
        {
            "sessions": [
                {
                    "device_id": d.id,
                    "device_name": d.name,
                    "created_at": rfc3339(d.created_at),
                    "last_active_at": rfc3339(d.last_active_at) if d.last_active_at else None,
                    "current": d.id == device.id,
                }
                for d in found
            ]
        }
    )


async def log_out_device(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).lifecycle.log_out_device(
        device.user_id, request.path_params["device_id"]
    )
    return http.no_content()


async def export(request: Request) -> Response:
    device = await http.device(request)
    chunks = http.services(request).lifecycle.export(device.user_id)
    return StreamingResponse(
        chunks,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="chinwag-export.json"'},
    )


async def delete_me(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, DeleteAccountBody)
    await http.services(request).lifecycle.delete_account(
        device, b.password, http.client_address(request)
    )
    return http.no_content()
