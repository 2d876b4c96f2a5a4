"""Safety records as the domain sees them (times are milliseconds since the epoch)."""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.accounts.models import User


@dataclass(frozen=True, slots=True)
class Report:
    """A message reported to the server's admins. `sender_id` and `text` are copied when
    the report is made, so the report stays readable whatever happens to the message."""

    id: str
    reporter_id: str
    channel_id: str
    message_id: int
    sender_id: str
    text: str
    reason: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Standing:
    """What the server thinks of an account, beside its profile."""

    is_admin: bool = False
    deactivated_at: int | None = None
    deleted_at: int | None = None


@dataclass(frozen=True, slots=True)
class AdminView:
    user: User
    standing: Standing


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    name: str
    created_at: int
    last_active_at: int | None


@dataclass(frozen=True, slots=True)
class Erased:
    """What deleting an account undid, for the service to announce."""

    revoked_devices: list[str]
    former_friends: list[str]
