"""Friend requests and the friend list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.api import http
from chinwag.api.bodies import FriendRequestBody


async def send_request(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, FriendRequestBody)
    req = await http.services(request).friends.request(device.user_id, b.user_id)
    return http.json(wire.friend_request(req), 201)


async def list_requests(request: Request) -> Response:
    device = await http.device(request)
    incoming, outgoing = await http.services(request).friends.requests(device.user_id)
    return http.json(
        {
            "incoming": [wire.friend_request(r) for r in incoming],
            "outgoing": [wire.friend_request(r) for r in outgoing],
        }
    )


async def accept(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    friend_id = await svc.friends.accept(request.path_params["request_id"], device.user_id)
    friend = await svc.accounts.get_user(friend_id)
    return http.json({"friend": wire.user(friend)})


async def decline(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).friends.decline(request.path_params["request_id"], device.user_id)
    return http.no_content()


async def list_friends(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    ids = await svc.friends.friend_ids(device.user_id)
    users = await svc.accounts.users(ids)
    return http.json(
        {
            "friends": [
                {
                    "user": wire.user(u),
                    "presence": wire.presence(u.id, svc.presence.is_online(u.id), u.last_active_at),
                }
                for u in users
            ]
        }
    )


async def remove(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).friends.remove(device.user_id, request.path_params["user_id"])
    return http.no_content()
