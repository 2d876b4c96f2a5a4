"""Generic webhooks: a signed JSON POST to a URL the subscriber chose.

Guarantees: each request carries `X-Chinwag-Timestamp` (unix seconds) and
`X-Chinwag-Signature: sha256=HEX`, an HMAC-SHA256 (RFC 2104) under the server's secret of
the timestamp, a dot and the exact body bytes, so a receiver can check both origin and
freshness; redirects are not followed (see `httputil`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import httpx

from chinwag.push import httputil
from chinwag.push.guard import AddressGuard
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification, dumps
from chinwag.push.result import Delivered, Failed, Gone, Retry, SendResult, retryable_status
from chinwag.push.result import parse_retry_after as _retry_after

TIMESTAMP_HEADER = "X-Chinwag-Timestamp"
SIGNATURE_HEADER = "X-Chinwag-Signature"
EVENT = "chinwag.notification"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-Chinwag-Signature` value for a body sent at `timestamp`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookSender:
    """POSTs `{"type", "subscription_id", "user_id", "device_id", "notification"}`."""

    def __init__(
        self,
        secret: bytes,
        *,
        client: httpx.AsyncClient | None = None,
        guard: AddressGuard | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("webhook secret must not be empty")
        self._secret = secret
        self._owned = client is None
        self._client = client or httputil.new_client(guard)
        self._now = now

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        if (problem := httputil.http_url_error(sub.endpoint)) is not None:
            return Gone(f"webhook URL: {problem}")
        body = dumps(
            {
                "type": EVENT,
                "subscription_id": sub.id,
                "user_id": sub.user_id,
                "device_id": sub.device_id,
                "notification": note.to_dict(),
            }
        )
        timestamp = int(self._now())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        response = await httputil.post(self._client, sub.endpoint, content=body, headers=headers)
        if isinstance(response, Retry):
            return response
        if isinstance(response, Failed):  # the URL now leads only to refused addresses
            return Gone(response.reason)
        status = response.status_code
        if 200 <= status < 300:
            return Delivered()
        if status == 410:  # RFC 9110 §15.5.11: gone for good, the receiver's way to unsubscribe.
            return Gone(httputil.excerpt(response))
        if retryable_status(status):
            after = _retry_after(response.headers.get("Retry-After"), self._now())
            return Retry(after, httputil.excerpt(response))
        return Failed(httputil.excerpt(response))

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
