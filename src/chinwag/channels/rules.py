"""The rules of groups, pure: which way a group fans out, how big it may grow, who
inherits it. The engines call these inside their transactions and only store the result.
"""

from __future__ import annotations

from collections.abc import Iterable

from chinwag.channels.models import Fanout, Member
from chinwag.errors import invalid


def fanout_for(member_count: int, small_group_limit: int) -> Fanout:
    """Up to `small_group_limit` members a group fans out on write (one inbox entry per
    member); past it, on read."""
    return "write" if member_count <= small_group_limit else "read"


def fanout_after_add(current: Fanout, member_count: int, small_group_limit: int) -> Fanout:
    """The fan-out once the group has `member_count` members. Once on read it stays so:
    members' clients have switched to reading the group's history, and shrinking back
    would leave messages in neither place."""
    if current == "read":
        return "read"
    return fanout_for(member_count, small_group_limit)


def just_switched(before: Fanout, after: Fanout) -> bool:
    """This change moved the group to fan-out on read: every member's gateway must now
    route the group's live messages by channel."""
    return before == "write" and after == "read"


def check_room(member_count: int, max_size: int) -> None:
    """Refuse a group that would have more than `max_size` members."""
    if member_count > max_size:
        raise invalid(f"the group is full ({max_size} members)")


def heir(members: Iterable[Member]) -> str | None:
    """Who becomes owner when the owner leaves: the longest-standing admin, else the
    longest-standing member (ties by user id); None if nobody is left."""
    ranked = sorted(members, key=lambda m: (m.role != "admin", m.joined_at, m.user_id))
    return ranked[0].user_id if ranked else None
