"""Apple Push Notification service with token-based authentication, over HTTP/2.

Guarantees: requests go over HTTP/2 (APNs accepts nothing else) on a kept-alive
connection; one provider token (ES256 JWT) is reused for ~50 minutes, inside Apple's
window of "not older than an hour, not renewed more often than every 20 minutes"; a
device token is only put in a URL path after checking it is hex.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.push import httputil
from chinwag.push.guard import AddressGuard
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification, dumps, fit
from chinwag.push.result import Delivered, Failed, Gone, Retry, SendResult, retryable_status
from chinwag.push.result import parse_retry_after as _retry_after
from chinwag.push.signing import es256_jwt

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"
TOKEN_REFRESH = 50 * 60.0
MAX_PAYLOAD = 4096  # bytes, for alert notifications
GONE_REASONS = frozenset({"BadDeviceToken", "Unregistered"})
STALE_TOKEN_REASONS = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})
_DEVICE_TOKEN = re.compile(r"[0-9A-Fa-f]{1,200}")


def base_url(environment: str, override: str = "") -> str:
    """The APNs origin for `production` or `sandbox`, unless an override URL is set."""
    if override:
        return override.rstrip("/")
    urls = {"production": PRODUCTION_URL, "sandbox": SANDBOX_URL}
    if environment not in urls:
        raise ValueError(f"APNs environment must be production or sandbox, not {environment!r}")
    return urls[environment]


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The P-256 signing key from an APNs `.p8` file (PKCS#8 PEM)."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ValueError(f"APNs key {path}: {exc!r}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"APNs key {path}: not a P-256 key")
    return key


class ApnsSender:
    """Sends alert notifications to iOS and macOS devices."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        *,
        key_id: str,
        team_id: str,
        topic: str,
        url: str = PRODUCTION_URL,
        verify: ssl.SSLContext | bool = True,
        guard: AddressGuard | None = None,
        ttl: int = 86_400,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._key_id = key_id
        self._team_id = team_id
        self._topic = topic
        self._url = url.rstrip("/")
        self._ttl = ttl
        self._now = now
        self._client = httputil.new_client(guard, http2=True, verify=verify)
        self._jwt = ""
        self._jwt_issued = 0.0

    def _provider_token(self) -> str:
        now = self._now()
        if not self._jwt or now - self._jwt_issued >= TOKEN_REFRESH:
            claims = {"iss": self._team_id, "iat": int(now)}
            self._jwt, self._jwt_issued = es256_jwt(self._key, claims, kid=self._key_id), now
        return self._jwt

    def _payload(self, note: Notification) -> dict[str, Any]:
        return {
            "aps": {
                "alert": {"title": note.sender_name, "body": note.summary()},
                "sound": "default",
                "thread-id": note.channel_id,
            },
            "chinwag": note.to_dict(),
        }

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        if not _DEVICE_TOKEN.fullmatch(sub.token):
            return Gone("device token is not hex")
        try:
            note = fit(note, lambda n: len(dumps(self._payload(n))), MAX_PAYLOAD)
        except ValueError as exc:
            return Failed(str(exc))
        jwt = self._provider_token()
        headers = {
            "authorization": f"bearer {jwt}",
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(self._now()) + self._ttl),
        }
        if len(note.channel_id.encode()) <= 64:  # apns-collapse-id is at most 64 bytes.
            headers["apns-collapse-id"] = note.channel_id
        url = f"{self._url}/3/device/{sub.token}"
        body = dumps(self._payload(note))
        response = await httputil.post(self._client, url, content=body, headers=headers)
        if isinstance(response, Retry | Failed):
            return response
        return self._classify(response, jwt)

    def _classify(self, response: httpx.Response, jwt: str) -> SendResult:
        status = response.status_code
        if status == 200:
            return Delivered()
        reason = _reason_of(response)
        detail = f"HTTP {status} {reason}".strip()
        if status == 410 or reason in GONE_REASONS:
            return Gone(detail)
        if reason in STALE_TOKEN_REASONS:
            if self._jwt == jwt:
                self._jwt = ""  # sign a new one for the retry
            return Retry(None, detail)
        if retryable_status(status):
            return Retry(_retry_after(response.headers.get("retry-after"), self._now()), detail)
        return Failed(detail)

    async def aclose(self) -> None:
        await self._client.aclose()


def _reason_of(response: httpx.Response) -> str:
    """The `reason` of an APNs error body (`{"reason": "BadDeviceToken"}`), or ""."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return ""
    return str(body.get("reason", "")) if isinstance(body, dict) else ""
