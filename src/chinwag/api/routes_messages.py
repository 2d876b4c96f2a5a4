"""HTTP routes that change a message (edit, delete, reactions) and search messages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.api import http
from chinwag.api.bodies import EditBody
from chinwag.errors import not_found
from chinwag.messaging.search import parse


def message_id(request: Request) -> int:
    raw = request.path_params["message_id"]
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) < 1 << 53:
        raise not_found("no such message")
    return int(raw)


async def edit(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, EditBody)
    message = await http.services(request).changes.edit(
        device.user_id, request.path_params["channel_id"], message_id(request), b.text
    )
    return http.json(wire.message(message))


async def delete(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).changes.delete(
        device.user_id, request.path_params["channel_id"], message_id(request)
    )
    return http.no_content()


async def react(request: Request) -> Response:
    return await _reaction(request, add=True)


async def unreact(request: Request) -> Response:
    return await _reaction(request, add=False)


async def _reaction(request: Request, *, add: bool) -> Response:
    device = await http.device(request)
    await http.services(request).changes.react(
        device.user_id,
        request.path_params["channel_id"],
        message_id(request),
        request.path_params["emoji"],
        add=add,
    )
    return http.no_content()


async def search(request: Request) -> Response:
    device = await http.device(request)
    query = parse(
        device.user_id,
        request.query_params.get("q", ""),
        channel_id=request.query_params.get("channel_id"),
        before=http.int_param(request, "before"),
        limit=http.int_param(request, "limit"),
    )
    found = await http.services(request).messaging.search(query)
    return http.json({"results": [wire.message(m) for m in found]})
