from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FriendRequest:
    id: str
    from_user_id: str
    to_user_id: str
    created_at: int
