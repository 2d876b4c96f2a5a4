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
    avatar_url: str
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
    display_name: str | None = None
    avatar_url: str | None = None
    status_text: str | None = None
    group_adds: GroupAdds | None = None
