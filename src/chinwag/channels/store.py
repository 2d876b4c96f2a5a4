"""What the channels service needs from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.channels.models import Channel, ChannelView, Member, MemberAdded, Role
from chinwag.errors import ChinwagError, forbidden


def not_addable(user_ids: list[str]) -> ChinwagError:
    """The refusal of a group add that some users have not consented to."""
    shown = ", ".join(user_ids[:10]) + (", ..." if len(user_ids) > 10 else "")
    return forbidden(f"only friends may add these users to a group: {shown}")


class ChannelStore(Protocol):
    async def direct_channel(
        self, channel_id: str, a: str, b: str, at: int
    ) -> tuple[Channel, bool]:
        """The direct channel of the pair, created with `channel_id` if there is none.
        Returns (channel, created)."""
        ...

    async def create_group(
        self,
        channel_id: str,
        name: str,
        owner_id: str,
        member_ids: list[str],
        at: int,
        small_group_limit: int,
    ) -> Channel:
        """Create a group, fanning out as `rules.fanout_for` says. Refused
        (`not_addable`, nothing stored) if any member is neither a friend of the owner
        nor accepts group adds from anyone, checked in the same transaction as the
        insert."""
        ...

    async def get_channel(
        self, channel_id: str, *, with_members: bool = True
    ) -> Channel | None: ...

    async def channels_of(self, user_id: str, *, member_list_limit: int) -> list[ChannelView]: ...

    async def get_member(self, channel_id: str, user_id: str) -> Member | None: ...

    async def member_ids(self, channel_id: str) -> list[str]: ...

    async def members(self, channel_id: str) -> list[Member]: ...

    async def add_member(
        self,
        channel_id: str,
        user_id: str,
        at: int,
        small_group_limit: int,
        max_size: int,
        *,
        added_by: str,
    ) -> MemberAdded:
        """Add a member (conflict if present; invalid if the group is full, by
        `rules.check_room`; `not_addable` unless the user is a friend of `added_by` or
        accepts group adds from anyone). The fan-out is `rules.fanout_after_add`, set in
        the same transaction, so every message is either fanned out on write or not at
        all; the result carries the fan-out and members from before, read there too."""
        ...

    async def remove_member(self, channel_id: str, user_id: str) -> Channel | None:
        """Remove a member; if the owner left, `rules.heir` of those remaining becomes
        owner. Returns the channel after the change, None if nobody is left."""
        ...

    async def set_role(self, channel_id: str, user_id: str, role: Role) -> None: ...

    async def mark_read(self, channel_id: str, user_id: str, message_id: int) -> bool:
        """Raise the member's read marker (never lowers it); False if not a member or
        the message does not exist."""
        ...

    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]:
        """(channel_id, last_message_id) of the fan-out-on-read groups the user is in."""
        ...

    async def shares_channel(self, a: str, b: str) -> bool: ...
