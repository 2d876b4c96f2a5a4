from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["direct", "group"]
Role = Literal["owner", "admin", "member"]
Fanout = Literal["write", "read"]


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    kind: Kind
    name: str
    fanout: Fanout
    member_count: int
    last_message_id: int
    created_at: int
    # Left empty (None) for large groups in listings.
    members: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Member:
    channel_id: str
    user_id: str
    role: Role
    last_read_message_id: int
    joined_at: int


@dataclass(frozen=True, slots=True)
class ChannelView:
    """A channel as one member sees it in their channel list."""

    channel: Channel
    last_read_message_id: int
    role: Role

    @property
    def unread(self) -> int:
        return max(0, self.channel.last_message_id - self.last_read_message_id)


@dataclass(frozen=True, slots=True)
class MemberAdded:
    """A member added, with what the group was just before, read in the same
    transaction as the add."""

    channel: Channel
    previous_fanout: Fanout
    # Those who were members before, to tell them; empty when the group already fanned
    # out on read (it is then told through the channel's own route).
    previous_members: tuple[str, ...]
