"""Push subscriptions of a device: the rules a subscription must meet to be stored.

An endpoint or webhook URL is a place this server will later connect to, so it must be
an http(s) URL whose host resolves to permitted addresses only (push/guard.py); the
senders check again at every connection, since DNS answers change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from chinwag.clock import Clock, now_ms
from chinwag.errors import invalid, not_found, unavailable
from chinwag.ids import new_id
from chinwag.push.guard import AddressPolicy, Refused, Unresolved
from chinwag.push.models import PushKind, PushSubscription
from chinwag.push.store import PushStore

MAX_FIELD = 4096
MAX_P256DH = 200
MAX_AUTH = 100


class UrlGuard(Protocol):
    """What the service needs of push/guard.AddressGuard."""

    @property
    def policy(self) -> AddressPolicy: ...

    async def check_url(self, url: str) -> None: ...


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A subscription as a device asks for it, not yet checked."""

    kind: PushKind
    endpoint: str | None = None
    url: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    token: str | None = None


class PushService:
    def __init__(
        self, store: PushStore, guard: UrlGuard, clock: Clock, vapid_public_key: str = ""
    ) -> None:
        self._store = store
        self._guard = guard
        self._clock = clock
        self._vapid_public_key = vapid_public_key

    def vapid_public_key(self) -> str:
        """The key browsers need to subscribe to web push; not_found if it is off."""
        if not self._vapid_public_key:
            raise not_found("web push is not enabled on this server")
        return self._vapid_public_key

    async def subscribe(self, user_id: str, device_id: str, new: NewSubscription) -> str:
        """Check and store a subscription of the device; returns its id."""
        sub_id = new_id("p")
        at = now_ms(self._clock)
        if new.kind == "webpush":
            if not new.p256dh or not new.auth:
                raise invalid("webpush needs keys.p256dh and keys.auth")
            if len(new.p256dh) > MAX_P256DH or len(new.auth) > MAX_AUTH:
                raise invalid("webpush keys are too long")
            sub = PushSubscription(
                sub_id,
                user_id,
                device_id,
                "webpush",
                endpoint=await self._endpoint_url(new.endpoint, "endpoint"),
                p256dh=new.p256dh,
                auth=new.auth,
                created_at=at,
            )
        elif new.kind == "webhook":
            sub = PushSubscription(
                sub_id,
                user_id,
                device_id,
                "webhook",
                endpoint=await self._endpoint_url(new.url or new.endpoint, "url"),
                created_at=at,
            )
        else:
            if not new.token or len(new.token) > MAX_FIELD:
                raise invalid(f"{new.kind} needs a token")
            sub = PushSubscription(
                sub_id, user_id, device_id, new.kind, token=new.token, created_at=at
            )
        await self._store.add_subscription(sub)
        return sub_id

    async def unsubscribe(self, user_id: str, sub_id: str) -> None:
        if not await self._store.delete_subscription(sub_id, user_id):
            raise not_found("no such subscription")

    async def forget_device(self, device_id: str) -> None:
        """A device logged out: it must not be woken again."""
        await self._store.delete_device_subscriptions(device_id)

    async def _endpoint_url(self, url: str | None, what: str) -> str:
        """The URL, if its host resolves to permitted addresses only. Parsed as the
        senders parse it."""
        if not url or len(url) > MAX_FIELD:
            raise invalid(f"{what} is required")
        try:
            parsed = httpx.URL(url)
            host = parsed.host  # decodes IDNA, which may fail too
        except (httpx.InvalidURL, ValueError):
            raise invalid(f"{what} must be an http(s) URL") from None
        if parsed.scheme not in ("https", "http") or not host:
            raise invalid(f"{what} must be an http(s) URL")
        if parsed.scheme != "https" and not self._guard.policy.allow_private:
            raise invalid(f"{what} must be a public https URL")
        try:
            await self._guard.check_url(url)
        except Refused:
            raise invalid(f"{what} must be a public https URL") from None
        except Unresolved as exc:
            if exc.temporary:
                raise unavailable(f"{what}: its host did not resolve; retry later") from None
            raise invalid(f"{what}: its host does not resolve") from None
        return url
