"""Account records as the domain sees them (times are milliseconds since the epoch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Who may put a user into a group: only friends (the default), or anyone.
GroupAdds = Literal["friends", "anyone"]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    avatar_id: str | None  # an uploaded image (docs/protocol.md, "Avatars")
    status_text: str
    created_at: int
    last_active_at: int | None = None
    group_adds: GroupAdds = "friends"


@dataclass(frozen=True, slots=True)
class NewUser:
    id: str
    username: str
    password_hash: str
    display_name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    user_id: str
    name: str
    created_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """None leaves a field as it is. `avatar_id` "" removes the avatar. `avatar_url` is
    the field of old clients, folded into `avatar_id` by the service."""

    display_name: str | None = None
    avatar_id: str | None = None
    status_text: str | None = None
    group_adds: GroupAdds | None = None
    avatar_url: str | None = None
