"""The outcome of one send, and the interface every provider's sender implements.

Guarantees: a `Sender.send` never raises for anything the network or the provider does;
it answers with exactly one of `Delivered`, `Retry`, `Gone` or `Failed`. Only `Gone`
means the subscription must be deleted, so a misread answer can at worst cost a
notification, never a user's subscription.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC
from typing import Protocol

from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification

# A provider asking for more than a day is treated as asking for a day: a notification
# that late is worthless and the retry would only hold memory.
MAX_RETRY_AFTER = 86_400.0


@dataclass(frozen=True, slots=True)
class Delivered:
    """The provider accepted the message."""


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure; try again, not before `after` seconds when the provider says."""

    after: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Gone:
    """The subscription no longer exists at the provider and must be deleted."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    """A permanent failure of this message; the subscription is kept."""

    reason: str = ""


SendResult = Delivered | Retry | Gone | Failed


class Sender(Protocol):
    """Delivers notifications for one kind of subscription (webpush, fcm, apns, webhook)."""

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        """Send one notification; never raises for network or provider errors."""
        ...

    async def aclose(self) -> None:
        """Release connections; the sender is not used afterwards."""
        ...


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110 §10.2.3: seconds or HTTP-date).

    `now` is wall-clock epoch seconds, needed for the date form. Unparseable: None.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP-dates are always UTC.
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER)


def retryable_status(status: int) -> bool:
    """Statuses that say "later", whatever the provider (RFC 9110 §15.5.9, §15.6; RFC 6585 §4)."""
    return status in (408, 425, 429) or status >= 500
