"""Push subscriptions of the calling device."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import http
from chinwag.api.bodies import PushSubscriptionBody
from chinwag.clock import now_ms
from chinwag.errors import invalid, not_found
from chinwag.ids import new_id
from chinwag.push.models import PushSubscription

MAX_FIELD = 4096


def _public_host(host: str) -> bool:
    """False for names and literal addresses that point inside the server's network, so
    a subscription cannot aim the push worker at internal services (SSRF)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


def _endpoint_url(url: str | None, what: str, allow_private: bool) -> str:
    if not url or len(url) > MAX_FIELD:
        raise invalid(f"{what} is required")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise invalid(f"{what} must be an http(s) URL")
    if not allow_private and (parts.scheme != "https" or not _public_host(parts.hostname)):
        raise invalid(f"{what} must be a public https URL")
    return url


async def subscribe(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, PushSubscriptionBody)
    svc = http.services(request)
    private = svc.settings.push_allow_private_urls
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
            endpoint=_endpoint_url(b.endpoint, "endpoint", private),
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
            endpoint=_endpoint_url(b.url or b.endpoint, "url", private),
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
