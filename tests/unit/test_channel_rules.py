"""The rules of groups, pure (channels/rules.py): the engines only store what they say."""

from __future__ import annotations

import pytest

from chinwag.channels import rules
from chinwag.channels.models import Member, Role
from chinwag.errors import ChinwagError, Code


def member(user_id: str, role: Role, joined_at: int) -> Member:
    return Member("g1", user_id, role, 0, joined_at)


def test_a_group_fans_out_on_write_up_to_the_small_group_limit() -> None:
    assert rules.fanout_for(100, 100) == "write"
    assert rules.fanout_for(101, 100) == "read"
    assert rules.fanout_for(1, 1) == "write"


def test_a_group_on_read_never_goes_back() -> None:
    assert rules.fanout_after_add("write", 3, 3) == "write"
    assert rules.fanout_after_add("write", 4, 3) == "read"
    # Shrunk below the limit and grown again: still on read.
    assert rules.fanout_after_add("read", 2, 3) == "read"


def test_just_switched_only_on_the_crossing() -> None:
    assert rules.just_switched("write", "read")
    assert not rules.just_switched("read", "read")
    assert not rules.just_switched("write", "write")


def test_room_in_a_group() -> None:
    rules.check_room(10, 10)
    with pytest.raises(ChinwagError) as refused:
        rules.check_room(11, 10)
    assert refused.value.code is Code.INVALID_REQUEST


def test_the_longest_standing_admin_inherits_before_older_members() -> None:
    members = [member("m1", "member", 10), member("a2", "admin", 30), member("a1", "admin", 20)]
    assert rules.heir(members) == "a1"


def test_without_admins_the_longest_standing_member_inherits_ties_by_id() -> None:
    members = [member("mb", "member", 10), member("ma", "member", 10), member("mc", "member", 5)]
    assert rules.heir(members) == "mc"
    assert rules.heir(members[:2]) == "ma"


def test_nobody_left_nobody_inherits() -> None:
    assert rules.heir([]) is None
