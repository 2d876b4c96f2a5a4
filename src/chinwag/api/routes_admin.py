"""Server admins: accounts and reports (403 for everyone else)."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.api import http
from chinwag.api.routes_messages import message_id
from chinwag.clock import rfc3339


async def users(request: Request) -> Response:
    device = await http.device(request)
    prefix = request.query_params.get("username", "")
    found = await http.services(request).admin.find(device.user_id, prefix[:64])
    return http.json(
        {
            "users": [
                {
                    **msgspec.structs.asdict(wire.user(v.user)),
                    "is_admin": v.standing.is_admin,
                    "deactivated": v.standing.deactivated_at is not None,
                }
                for v in found
            ]
        }
    )


async def deactivate(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).admin.deactivate_as(device.user_id, request.path_params["id"])
    return http.no_content()


async def reactivate(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).admin.reactivate_as(device.user_id, request.path_params["id"])
    return http.no_content()


async def versions(request: Request) -> Response:
    """A message and the texts its edits replaced (kept only with keep_edit_history)."""
    device = await http.device(request)
    svc = http.services(request)
    await svc.admin.require_admin(device.user_id)
    message, kept = await svc.changes.versions(
        request.path_params["channel_id"], message_id(request)
    )
    return http.json(
        {
            "message": wire.message(message),
            "versions": [
                {
                    "version": v.version,
                    "text": v.text,
                    "mentions": list(v.mentions),
                    "since": rfc3339(v.since),
                    "replaced_at": rfc3339(v.replaced_at),
                }
                for v in kept
            ],
        }
    )


async def reports(request: Request) -> Response:
    device = await http.device(request)
    found = await http.services(request).admin.reports(device.user_id)
    return http.json(
        {
            "reports": [
                {
                    "id": r.id,
                    "reporter_id": r.reporter_id,
                    "channel_id": r.channel_id,
                    "message_id": r.message_id,
                    "sender_id": r.sender_id,
                    "text": r.text,
                    "reason": r.reason,
                    "created_at": rfc3339(r.created_at),
                }
                for r in found
            ]
        }
    )
