"""Push subscriptions of the calling device."""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import http
from chinwag.api.bodies import PushSubscriptionBody
from chinwag.clock import now_ms
from chinwag.errors import invalid, not_found, unavailable
from chinwag.ids import new_id
from chinwag.push.guard import AddressGuard, Refused, Unresolved
from chinwag.push.models import PushSubscription

MAX_FIELD = 4096


async def _endpoint_url(url: str | None, what: str, guard: AddressGuard) -> str:
    """The URL, if its host resolves to permitted addresses only (push/guard.py); the
    senders check again at every connection. Parsed as the senders parse it."""
    if not url or len(url) > MAX_FIELD:
        raise invalid(f"{what} is required")
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes IDNA, which may fail too
    except (httpx.InvalidURL, ValueError):
        raise invalid(f"{what} must be an http(s) URL") from None
    if parsed.scheme not in ("https", "http") or not host:
        raise invalid(f"{what} must be an http(s) URL")
    if parsed.scheme != "https" and not guard.policy.allow_private:
        raise invalid(f"{what} must be a public https URL")
    try:
        await guard.check_url(url)
    except Refused:
        raise invalid(f"{what} must be a public https URL") from None
    except Unresolved as exc:
        if exc.temporary:
            raise unavailable(f"{what}: its host did not resolve; retry later") from None
        raise invalid(f"{what}: its host does not resolve") from None
    return url


async def subscribe(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, PushSubscriptionBody)
    svc = http.services(request)
    guard: AddressGuard = svc.push_guard
    sub_id = new_id("p")
    at = now_ms(svc.clock)
    if b.kind == "webpush":
        if b.keys is None or not b.keys.p256dh or not b.keys.auth:
            raise invalid("webpush needs keys.p256dh and keys.auth")
        if len(b.keys.p256dh) > 200 or len(b.keys.auth) > 100:
            raise invalid("webpush keys are too long")
        sub = PushSubscription(
            sub_id,
            device.user_id,
            device.id,
            "webpush",
            endpoint=await _endpoint_url(b.endpoint, "endpoint", guard),
            p256dh=b.keys.p256dh,
            auth=b.keys.auth,
            created_at=at,
        )
    elif b.kind == "webhook":
        sub = PushSubscription(
            sub_id,
            device.user_id,
            device.id,
            "webhook",
            endpoint=await _endpoint_url(b.url or b.endpoint, "url", guard),
            created_at=at,
        )
    else:
        if not b.token or len(b.token) > MAX_FIELD:
            raise invalid(f"{b.kind} needs a token")
        sub = PushSubscription(
            sub_id, device.user_id, device.id, b.kind, token=b.token, created_at=at
        )
    await svc.store.push.add_subscription(sub)
    return http.json({"id": sub_id}, 201)


async def unsubscribe(request: Request) -> Response:
    device = await http.device(request)
    removed = await http.services(request).store.push.delete_subscription(
        request.path_params["subscription_id"], device.user_id
    )
    if not removed:
        raise not_found("no such subscription")
    return http.no_content()


async def vapid_public_key(request: Request) -> Response:
    key = http.services(request).vapid_public_key
    if not key:
        raise not_found("web push is not enabled on this server")
    return http.json({"key": key})
