"""Push subscriptions of the calling device (the rules are push/service.py's)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import http
from chinwag.api.bodies import PushSubscriptionBody
from chinwag.push.service import NewSubscription


async def subscribe(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, PushSubscriptionBody)
    new = NewSubscription(
        b.kind,
        endpoint=b.endpoint,
        url=b.url,
        p256dh=b.keys.p256dh if b.keys else None,
        auth=b.keys.auth if b.keys else None,
        token=b.token,
    )
    sub_id = await http.services(request).push.subscribe(device.user_id, device.id, new)
    return http.json({"id": sub_id}, 201)


async def unsubscribe(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).push.unsubscribe(
        device.user_id, request.path_params["subscription_id"]
    )
    return http.no_content()


async def vapid_public_key(request: Request) -> Response:
    return http.json({"key": http.services(request).push.vapid_public_key()})
