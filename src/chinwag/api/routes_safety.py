"""Blocks, mutes and reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.api import http
from chinwag.api.bodies import MuteBody, ReportBody
from chinwag.clock import rfc3339
from chinwag.safety.mutes import FOREVER


def muted_until(until: int | None) -> str:
    return FOREVER if until is None else rfc3339(until)


async def block(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).blocks.block(device.user_id, request.path_params["user_id"])
    return http.no_content()


async def unblock(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).blocks.unblock(device.user_id, request.path_params["user_id"])
    return http.no_content()


async def list_blocks(request: Request) -> Response:
    device = await http.device(request)
    users = await http.services(request).blocks.blocked(device.user_id)
    return http.json({"users": [wire.user(u) for u in users]})


async def mute(request: Request) -> Response:
    device = await http.device(request)
    raw = await http.raw_body(request)
    until = http.decode(raw, MuteBody).until if raw else None
    await http.services(request).mutes.mute(
        device.user_id, request.path_params["channel_id"], until
    )
    return http.no_content()


async def unmute(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).mutes.unmute(device.user_id, request.path_params["channel_id"])
    return http.no_content()


async def report(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, ReportBody)
    made = await http.services(request).reports.report(
        device.user_id, b.channel_id, b.message_id, b.reason
    )
    return http.json({"id": made.id}, 201)
