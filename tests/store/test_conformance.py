"""The storage conformance suite: what every engine must do, run against each of them.

Each test gets a fresh, started engine from the `store` fixture (tests/store/conftest.py),
once per engine. Expected errors are checked by their stable code, never by message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chinwag.accounts.models import Device, NewUser, ProfileChanges
from chinwag.channels.models import Channel
from chinwag.errors import ChinwagError, Code
from chinwag.friends.models import FriendRequest
from chinwag.messaging.models import (
    Changed,
    ChangeRefusal,
    Delete,
    Edit,
    Message,
    React,
    SendRefusal,
    SendRequest,
    Stored,
)
from chinwag.push.models import PushSubscription
from chinwag.store.base import Store

# -- helpers -------------------------------------------------------------------------


@contextmanager
def fails_with(code: Code) -> Iterator[None]:
    with pytest.raises(ChinwagError) as caught:
        yield
    assert caught.value.code is code, caught.value


async def users(store: Store, *names: str, at: int = 1, open_: bool = True) -> list[str]:
    """Create users whose id is `u_<name>`; returns the ids in the order given. They
    accept group adds from anyone unless `open_` is false (consent has its own tests)."""
    for name in names:
        uid = f"u_{name}"
        await store.accounts.create_user(NewUser(uid, name, f"hash-{name}", name, at))
        if open_:
            await store.accounts.update_profile(uid, ProfileChanges(group_adds="anyone"))
    return [f"u_{name}" for name in names]


async def befriend(store: Store, a: str, b: str) -> None:
    """Make two users friends (direct channels are only open between friends)."""
    if not await store.friends.are_friends(a, b):
        req = FriendRequest(f"f_{a}_{b}", a, b, 1)
        await store.friends.create_request(req)
        await store.friends.accept_request(req, 1)


async def group(
    store: Store, owner: str, others: list[str], *, cid: str = "g1", at: int = 10, limit: int = 100
) -> Channel:
    return await store.channels.create_group(cid, "group", owner, others, at, limit)


async def send(
    store: Store,
    sender: str,
    channel_id: str,
    cmid: str,
    *,
    device: str | None = None,
    text: str | None = None,
    at: int = 100,
) -> Stored | SendRefusal:
    return await store.messages.append(
        SendRequest(sender, device or f"d_{sender}", channel_id, cmid, text or cmid, at)
    )


async def stored(
    store: Store,
    sender: str,
    channel_id: str,
    cmid: str,
    *,
    device: str | None = None,
    text: str | None = None,
    at: int = 100,
) -> Stored:
    """Send and insist that it was stored."""
    result = await send(store, sender, channel_id, cmid, device=device, text=text, at=at)
    assert isinstance(result, Stored), result
    return result


# -- accounts --------------------------------------------------------------------------


async def test_create_and_find_user(store: Store) -> None:
    user = await store.accounts.create_user(NewUser("u1", "Alice", "h1", "Alice A", 5))
    assert (user.id, user.username, user.display_name) == ("u1", "Alice", "Alice A")
    assert user.created_at == 5
    assert user.last_active_at is None
    assert await store.accounts.get_user("u1") == user
    assert await store.accounts.get_user("nobody") is None
    assert await store.accounts.find_user("aLiCe") == user
    assert await store.accounts.find_user("bob") is None
    await users(store, "bob")
    found = await store.accounts.get_users(["u1", "u_bob", "missing"])
    assert sorted(u.id for u in found) == ["u1", "u_bob"]
    assert await store.accounts.get_users([]) == []


async def test_username_is_unique_case_insensitively(store: Store) -> None:
    await store.accounts.create_user(NewUser("u1", "Alice", "h", "", 1))
    with fails_with(Code.CONFLICT):
        await store.accounts.create_user(NewUser("u2", "ALICE", "h", "", 2))
    assert await store.accounts.get_user("u2") is None


async def test_password_hash(store: Store) -> None:
    await store.accounts.create_user(NewUser("u1", "Alice", "old", "", 1))
    assert await store.accounts.password_hash("alice") == ("u1", "old")
    assert await store.accounts.password_hash("nobody") is None
    await store.accounts.set_password_hash("u1", "new")
    assert await store.accounts.password_hash("ALICE") == ("u1", "new")


async def test_update_profile_changes_only_given_fields(store: Store) -> None:
    await store.accounts.create_user(NewUser("u1", "alice", "h", "Alice", 1))
    user = await store.accounts.update_profile("u1", ProfileChanges(status_text="away"))
    assert (user.display_name, user.avatar_id, user.status_text) == ("Alice", None, "away")
    user = await store.accounts.update_profile("u1", ProfileChanges(display_name="Al"))
    assert (user.display_name, user.avatar_id) == ("Al", None)
    assert user.status_text == "away"
    assert await store.accounts.get_user("u1") == user
    unchanged = await store.accounts.update_profile("u1", ProfileChanges())
    assert unchanged == user
    with fails_with(Code.NOT_FOUND):
        await store.accounts.update_profile("nobody", ProfileChanges(status_text="x"))


async def test_devices_tokens_and_revocation(store: Store) -> None:
    (alice,) = await users(store, "alice")
    for n in range(3):
        await store.accounts.create_device(Device(f"d{n}", alice, f"dev {n}", 10 + n), b"tok%d" % n)
    device = await store.accounts.device_for_token(b"tok0")
    assert device == Device("d0", alice, "dev 0", 10, None)
    assert await store.accounts.device_for_token(b"unknown") is None

    await store.accounts.revoke_device("d0", 20)
    assert await store.accounts.device_for_token(b"tok0") is None
    await store.accounts.revoke_device("d0", 30)  # revoking twice is harmless

    revoked = await store.accounts.revoke_user_devices(alice, 40, keep="d2")
    assert revoked == ["d1"]
    assert await store.accounts.device_for_token(b"tok1") is None
    kept = await store.accounts.device_for_token(b"tok2")
    assert kept is not None and kept.id == "d2"
    assert await store.accounts.revoke_user_devices(alice, 50, keep=None) == ["d2"]
    assert await store.accounts.device_for_token(b"tok2") is None
    assert await store.accounts.revoke_user_devices(alice, 60, keep=None) == []


async def test_touch_last_active_never_goes_back(store: Store) -> None:
    (alice,) = await users(store, "alice")
    await store.accounts.touch_last_active(alice, 100)
    await store.accounts.touch_last_active(alice, 50)
    user = await store.accounts.get_user(alice)
    assert user is not None and user.last_active_at == 100
    await store.accounts.touch_last_active(alice, 200)
    user = await store.accounts.get_user(alice)
    assert user is not None and user.last_active_at == 200


# -- friends ---------------------------------------------------------------------------


async def test_friend_request_lifecycle(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    f = store.friends
    req = await f.create_request(FriendRequest("r1", a, b, 10))
    assert req == FriendRequest("r1", a, b, 10)
    await f.create_request(FriendRequest("r2", c, b, 11))
    assert await f.get_request("r1") == req
    assert await f.get_request("nope") is None
    incoming, outgoing = await f.requests_of(b)
    assert [r.id for r in incoming] == ["r1", "r2"] and outgoing == []
    incoming, outgoing = await f.requests_of(a)
    assert incoming == [] and [r.id for r in outgoing] == ["r1"]

    await f.accept_request(req, 20)
    assert await f.get_request("r1") is None
    assert await f.are_friends(a, b) and await f.are_friends(b, a)
    assert await f.friend_ids(a) == [b]
    assert await f.friend_ids(b) == [a]
    with fails_with(Code.NOT_FOUND):
        await f.accept_request(req, 21)

    assert await f.delete_request("r2") is True  # declined
    assert await f.delete_request("r2") is False
    assert await f.requests_of(b) == ([], [])
    assert not await f.are_friends(b, c)


async def test_friend_request_conflicts(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    f = store.friends
    await f.create_request(FriendRequest("r1", a, b, 10))
    with fails_with(Code.CONFLICT):  # the same again
        await f.create_request(FriendRequest("r2", a, b, 11))
    with fails_with(Code.CONFLICT):  # the other way round while one is pending
        await f.create_request(FriendRequest("r3", b, a, 12))
    with fails_with(Code.NOT_FOUND):
        await f.create_request(FriendRequest("r4", a, "u_nobody", 13))
    await f.accept_request(FriendRequest("r1", a, b, 10), 20)
    for rid, x, y in (("r5", a, b), ("r6", b, a)):
        with fails_with(Code.CONFLICT):  # already friends, either way
            await f.create_request(FriendRequest(rid, x, y, 30))
    assert await f.requests_of(a) == ([], [])
    await f.create_request(FriendRequest("r7", c, a, 40))


async def test_remove_friend_and_list_order(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    f = store.friends
    await f.create_request(FriendRequest("r1", a, c, 1))
    await f.accept_request(FriendRequest("r1", a, c, 1), 5)
    await f.create_request(FriendRequest("r2", b, a, 2))
    await f.accept_request(FriendRequest("r2", b, a, 2), 6)
    assert await f.friend_ids(a) == [c, b]  # by when they became friends
    assert await f.remove_friend(c, a) is True
    assert await f.remove_friend(a, c) is False
    assert await f.friend_ids(a) == [b]
    assert await f.friend_ids(c) == []
    assert not await f.are_friends(a, c)
    await f.create_request(FriendRequest("r3", a, c, 9))  # allowed again


async def test_concurrent_opposite_requests_let_one_through(store: Store) -> None:
    a, b = await users(store, "a", "b")
    results = await asyncio.gather(
        store.friends.create_request(FriendRequest("r1", a, b, 1)),
        store.friends.create_request(FriendRequest("r2", b, a, 1)),
        return_exceptions=True,
    )
    ok = [r for r in results if isinstance(r, FriendRequest)]
    refused = [r for r in results if isinstance(r, ChinwagError)]
    assert len(ok) == 1 and len(refused) == 1 and refused[0].code is Code.CONFLICT


# -- channels --------------------------------------------------------------------------


async def test_direct_channel_is_one_per_pair(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    first, created = await store.channels.direct_channel("c1", a, b, 10)
    assert created
    assert (first.id, first.kind, first.fanout, first.member_count) == ("c1", "direct", "write", 2)
    assert first.last_message_id == 0 and first.created_at == 10
    assert sorted(first.members or ()) == [a, b]
    await befriend(store, b, a)
    again, created = await store.channels.direct_channel("c2", b, a, 20)
    assert not created and again == first
    await befriend(store, a, c)
    other, created = await store.channels.direct_channel("c3", a, c, 30)
    assert created and other.id == "c3"
    assert await store.channels.get_channel("c2") is None


async def test_concurrent_direct_channel_from_both_sides(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    pairs = [(a, b) if n % 2 else (b, a) for n in range(8)]
    results = await asyncio.gather(
        *(store.channels.direct_channel(f"c{n}", x, y, n) for n, (x, y) in enumerate(pairs))
    )
    assert len({ch.id for ch, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_create_group(store: Store) -> None:
    o, m1, m2 = await users(store, "o", "m1", "m2")
    ch = await group(store, o, [m1, m2, o])  # the owner may be listed too
    assert (ch.kind, ch.name, ch.fanout, ch.member_count, ch.last_message_id) == (
        "group",
        "group",
        "write",
        3,
        0,
    )
    assert sorted(ch.members or ()) == sorted([o, m1, m2])
    roles = {m.user_id: m.role for m in await store.channels.members("g1")}
    assert roles == {o: "owner", m1: "member", m2: "member"}
    assert sorted(await store.channels.member_ids("g1")) == sorted([o, m1, m2])
    member = await store.channels.get_member("g1", m1)
    assert member is not None
    assert (member.role, member.last_read_message_id, member.joined_at) == ("member", 0, 10)
    assert await store.channels.get_member("g1", "u_nobody") is None
    bare = await store.channels.get_channel("g1", with_members=False)
    assert bare is not None and bare.members is None and bare.member_count == 3


async def test_create_group_with_unknown_user_is_invalid(store: Store) -> None:
    o, m1 = await users(store, "o", "m1")
    with fails_with(Code.INVALID_REQUEST):
        await group(store, o, [m1, "u_ghost"])
    assert await store.channels.get_channel("g1") is None
    assert await store.channels.channels_of(o, member_list_limit=100) == []


async def test_create_large_group_fans_out_on_read(store: Store) -> None:
    ids = await users(store, "o", "a", "b", "c")
    ch = await group(store, ids[0], ids[1:], limit=3)
    assert ch.fanout == "read" and ch.member_count == 4


async def test_add_member(store: Store) -> None:
    o, a, b, c = await users(store, "o", "a", "b", "c")
    await group(store, o, [a], limit=3)
    added = await store.channels.add_member("g1", b, 20, 3, 10, added_by=o)
    ch = added.channel
    assert ch.member_count == 3 and ch.fanout == "write"
    assert sorted(ch.members or ()) == sorted([o, a, b])
    # What the group was just before, read in the add's own transaction.
    assert added.previous_fanout == "write" and sorted(added.previous_members) == sorted([o, a])
    joined = await store.channels.get_member("g1", b)
    assert joined is not None and (joined.role, joined.joined_at) == ("member", 20)
    with fails_with(Code.CONFLICT):
        await store.channels.add_member("g1", b, 21, 3, 10, added_by=o)
    with fails_with(Code.NOT_FOUND):
        await store.channels.add_member("g1", "u_ghost", 21, 3, 10, added_by=o)
    with fails_with(Code.NOT_FOUND):
        await store.channels.add_member("nochannel", c, 21, 3, 10, added_by=o)
    await befriend(store, o, a)
    await store.channels.direct_channel("d1", o, a, 22)
    with fails_with(Code.INVALID_REQUEST):
        await store.channels.add_member("d1", c, 23, 3, 10, added_by=o)


async def test_add_member_past_small_group_limit_switches_to_fanout_on_read(store: Store) -> None:
    o, a, b, c = await users(store, "o", "a", "b", "c")
    await group(store, o, [a, b], limit=3)
    added = await store.channels.add_member("g1", c, 20, 3, 10, added_by=o)
    ch = added.channel
    assert ch.fanout == "read" and ch.member_count == 4
    assert ch.members is None  # not listed once past the small group limit
    assert added.previous_fanout == "write"  # this add is the one that switched it
    assert sorted(added.previous_members) == sorted([o, a, b])
    (d,) = await users(store, "d")
    again = await store.channels.add_member("g1", d, 21, 3, 10, added_by=o)
    assert (again.previous_fanout, again.channel.fanout) == ("read", "read")
    assert again.previous_members == ()  # a large group is told through its own route
    await store.channels.remove_member("g1", d)
    full = await store.channels.get_channel("g1")
    assert full is not None and sorted(full.members or ()) == sorted([o, a, b, c])
    after = await store.channels.remove_member("g1", c)
    assert after is not None and after.fanout == "read"  # it never switches back
    assert after.member_count == 3


async def test_add_member_respects_max_size(store: Store) -> None:
    o, a, b = await users(store, "o", "a", "b")
    await group(store, o, [a])
    with fails_with(Code.INVALID_REQUEST):
        await store.channels.add_member("g1", b, 20, 100, 2, added_by=o)
    assert await store.channels.get_member("g1", b) is None
    ch = await store.channels.get_channel("g1")
    assert ch is not None and ch.member_count == 2


async def test_remove_member_and_owner_succession(store: Store) -> None:
    o, m1, m2, late = await users(store, "o", "m1", "m2", "late")
    await group(store, o, [m2, m1], at=10)
    await store.channels.add_member("g1", late, 20, 100, 100, added_by=o)
    with fails_with(Code.NOT_FOUND):
        await store.channels.set_role("g1", "u_ghost", "admin")
    await store.channels.set_role("g1", late, "admin")

    # The oldest admin inherits, even though plain members joined earlier.
    ch = await store.channels.remove_member("g1", o)
    assert ch is not None and ch.member_count == 3 and o not in (ch.members or ())
    roles = {m.user_id: m.role for m in await store.channels.members("g1")}
    assert roles == {late: "owner", m1: "member", m2: "member"}

    # No admin left: the oldest member inherits (ties broken by user id).
    await store.channels.remove_member("g1", late)
    roles = {m.user_id: m.role for m in await store.channels.members("g1")}
    assert roles == {m1: "owner", m2: "member"}

    with fails_with(Code.NOT_FOUND):
        await store.channels.remove_member("g1", late)
    ch = await store.channels.remove_member("g1", m2)  # a plain member leaves
    assert ch is not None and ch.members == (m1,)
    assert await store.channels.remove_member("g1", m1) is None  # nobody is left


async def test_mark_read(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    for n in range(3):
        await stored(store, a, "c1", f"m{n}")
    ch = store.channels
    assert await ch.mark_read("c1", b, 2) is True
    assert await ch.mark_read("c1", b, 1) is True  # accepted, but never lowers
    member = await ch.get_member("c1", b)
    assert member is not None and member.last_read_message_id == 2
    assert await ch.mark_read("c1", b, 4) is False  # no such message
    assert await ch.mark_read("c1", c, 1) is False  # not a member
    assert await ch.mark_read("nochannel", b, 1) is False
    assert await ch.mark_read("c1", b, 3) is True
    member = await ch.get_member("c1", b)
    assert member is not None and member.last_read_message_id == 3


async def test_sending_moves_the_senders_read_marker(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    await stored(store, a, "c1", "m0")
    # Sends in flight together (one commit on engines that batch): the marker lands on
    # the newest of them, and never moves back.
    await asyncio.gather(*(stored(store, a, "c1", f"m{n}") for n in range(1, 6)))
    await stored(store, b, "c1", "r0")
    mine = await store.channels.get_member("c1", a)
    theirs = await store.channels.get_member("c1", b)
    assert mine is not None and mine.last_read_message_id == 6
    assert theirs is not None and theirs.last_read_message_id == 7
    views = await store.channels.channels_of(a, member_list_limit=3)
    assert views[0].unread == 1  # only b's message


async def test_senders_read_marker_far_behind_and_after_a_long_silence(store: Store) -> None:
    # Whatever an engine stores, the marker clients see is the sender's newest own
    # message whenever that is past what they marked read, however far apart the two.
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    await stored(store, a, "c1", "a0")  # 1
    for n in range(70):  # 2..71
        await stored(store, b, "c1", f"b{n}")
    marker = await store.channels.get_member("c1", a)
    assert marker is not None and marker.last_read_message_id == 1
    assert (await store.channels.channels_of(a, member_list_limit=3))[0].unread == 70
    await stored(store, a, "c1", "a1")  # 72: read everything before it by answering
    for n in range(40):  # 73..112
        await stored(store, b, "c1", f"c{n}")
    await store.channels.mark_read("c1", a, 50)  # below the marker: nothing changes
    views = await store.channels.channels_of(a, member_list_limit=3)
    assert views[0].last_read_message_id == 72 and views[0].unread == 40
    for n in range(2, 40):  # 113..150: a's own run, then one more of b's
        await stored(store, a, "c1", f"a{n}")
    await stored(store, b, "c1", "last")  # 151
    marks = {m.user_id: m.last_read_message_id for m in await store.channels.members("c1")}
    assert marks == {a: 150, b: 151}
    assert await store.channels.mark_read("c1", a, 151) is True
    member = await store.channels.get_member("c1", a)
    assert member is not None and member.last_read_message_id == 151


async def test_read_marker_of_a_member_added_again(store: Store) -> None:
    # What someone sent before leaving does not count as read once they are back.
    o, m = await users(store, "o", "m")
    await group(store, o, [m])
    await stored(store, m, "g1", "m0")  # 1
    await stored(store, o, "g1", "o0")  # 2
    await store.channels.remove_member("g1", m)
    await stored(store, o, "g1", "o1")  # 3
    await store.channels.add_member("g1", m, 20, 100, 100, added_by=o)
    await stored(store, o, "g1", "o2")  # 4
    back = await store.channels.get_member("g1", m)
    assert back is not None and back.last_read_message_id == 0
    views = {v.channel.id: v for v in await store.channels.channels_of(m, member_list_limit=3)}
    assert views["g1"].unread == 4
    await stored(store, m, "g1", "m1")  # 5
    marks = {x.user_id: x.last_read_message_id for x in await store.channels.members("g1")}
    assert marks == {o: 4, m: 5}


async def test_channels_of(store: Store) -> None:
    a, b, c, d = await users(store, "a", "b", "c", "d")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 10)
    await store.channels.create_group("g1", "big", c, [a, b, d], 20, 100)
    await store.channels.create_group("g2", "small", a, [b], 30, 100)
    for n in range(3):
        await stored(store, b, "c1", f"m{n}")
    await store.channels.mark_read("c1", a, 2)

    views = await store.channels.channels_of(a, member_list_limit=3)
    assert [v.channel.id for v in views] == ["c1", "g1", "g2"]  # oldest first
    direct, big, small = views
    assert direct.channel.last_message_id == 3 and direct.last_read_message_id == 2
    assert direct.unread == 1 and direct.role == "member"
    assert big.channel.members is None and big.channel.member_count == 4  # above the limit
    assert big.role == "member" and big.channel.name == "big"
    assert small.role == "owner" and sorted(small.channel.members or ()) == sorted([a, b])
    assert await store.channels.channels_of("u_nobody", member_list_limit=3) == []


async def test_large_groups_of_and_shares_channel(store: Store) -> None:
    a, b, c, d = await users(store, "a", "b", "c", "d")
    await store.channels.create_group("g1", "big", a, [b, c], 10, 2)
    await store.channels.create_group("g2", "small", a, [b], 20, 2)
    await stored(store, a, "g1", "m1")
    await stored(store, b, "g1", "m2")
    assert await store.channels.large_groups_of(c) == [("g1", 2)]
    assert await store.channels.large_groups_of(a) == [("g1", 2)]
    assert await store.channels.large_groups_of(d) == []
    assert await store.channels.shares_channel(a, c) is True
    assert await store.channels.shares_channel(c, b) is True
    assert await store.channels.shares_channel(a, d) is False


# -- messages ----------------------------------------------------------------------------


async def test_append_assigns_gapless_ids_and_inbox_seqs(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    await group(store, a, [c], cid="g1")
    first = await stored(store, a, "c1", "m1", text="hello", at=123)
    assert first.message.channel_id == "c1" and first.message.message_id == 1
    message = first.message
    assert (message.sender_id, message.text, message.created_at) == (a, "hello", 123)
    assert message.client_msg_id == "m1"
    assert first.cursors == {a: 1, b: 1} and sorted(first.members) == sorted([a, b])
    assert not first.duplicate

    in_group = await stored(store, c, "g1", "m2")
    assert in_group.message.message_id == 1  # ids are per channel
    assert in_group.cursors == {a: 2, c: 1}  # seqs are per user, across channels

    second = await stored(store, b, "c1", "m3")
    assert second.message.message_id == 2 and second.cursors == {a: 3, b: 2}
    assert await store.messages.inbox_head(a) == 3
    assert await store.messages.inbox_head(b) == 2
    assert await store.messages.inbox_head(c) == 1
    assert await store.messages.inbox_head("u_nobody") == 0
    ch = await store.channels.get_channel("c1")
    assert ch is not None and ch.last_message_id == 2


async def test_append_is_idempotent_per_device_and_client_msg_id(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    original = await stored(store, a, "c1", "m1", text="once", at=5)
    again = await stored(store, a, "c1", "m1", text="twice?", at=9)
    assert again.duplicate
    assert again.message == original.message  # the original, not the resend
    assert again.cursors == {} and again.members == ()
    assert len(await store.messages.history("c1", before=None, after=None, limit=10)) == 1
    assert await store.messages.inbox_head(b) == 1

    # The key is the pair: the same client_msg_id from another device is a new message.
    other = await stored(store, a, "c1", "m1", device="d_other")
    assert not other.duplicate and other.message.message_id == 2


async def test_append_refusals_store_nothing(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    assert await send(store, a, "nochannel", "m1") is SendRefusal.NO_CHANNEL
    assert await send(store, c, "c1", "m2") is SendRefusal.NOT_MEMBER
    # Refusals consume no id and leave no idempotency record behind.
    ok = await stored(store, a, "c1", "m1")
    assert ok.message.message_id == 1 and not ok.duplicate
    later = await stored(store, b, "c1", "m3")
    assert later.message.message_id == 2
    assert await store.messages.inbox_head(c) == 0


async def test_unfriending_closes_the_direct_channel_to_new_messages(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    first = await stored(store, a, "c1", "m1")
    assert await store.friends.remove_friend(b, a) is True
    assert await send(store, a, "c1", "m2") is SendRefusal.CLOSED
    assert await send(store, b, "c1", "m3") is SendRefusal.CLOSED
    again = await stored(store, a, "c1", "m1")  # a resend still gets its original back
    assert again.duplicate and again.message == first.message
    assert await store.messages.inbox_head(b) == 1  # nothing new stored, no id used
    await befriend(store, a, b)  # friends again: the same channel opens again
    assert (await stored(store, b, "c1", "m4")).message.message_id == 2


async def test_changes_read_the_channel_in_their_own_transaction(store: Store) -> None:
    """The service checks encryption and a closed direct channel before it asks for a
    change; a switch or an unfriending that commits in between is refused by the store."""
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    await befriend(store, a, c)
    await store.channels.direct_channel("c1", a, b, 1)
    await store.channels.direct_channel("c2", a, c, 1)
    await stored(store, a, "c1", "m1", text="plain before the switch")
    await stored(store, a, "c2", "m2")
    await store.channels.set_encrypted("c1")
    edit = Edit("plaintext after the switch", (), 200)
    assert await store.messages.change("c1", 1, edit) is ChangeRefusal.ENCRYPTED
    react = React(b, "👍", True, 200)
    assert isinstance(await store.messages.change("c1", 1, react), Changed)
    assert (await store.messages.message("c1", 1)).text == "plain before the switch"  # type: ignore[union-attr]

    assert await store.friends.remove_friend(c, a) is True
    assert await store.messages.change("c2", 1, edit) is ChangeRefusal.CLOSED
    assert await store.messages.change("c2", 1, React(c, "👍", True, 200)) is ChangeRefusal.CLOSED
    removed = await store.messages.change("c2", 1, React(c, "👍", False, 200))
    assert isinstance(removed, Changed) and not removed.changed
    assert (await store.messages.message("c2", 1)).text == "m2"  # type: ignore[union-attr]
    head = await store.messages.inbox_head(c)
    deleted = await store.messages.change("c2", 1, Delete())  # deletes stay allowed
    assert isinstance(deleted, Changed) and deleted.changed
    assert await store.messages.inbox_head(c) == head + 1


async def test_direct_channel_of_non_friends_is_closed(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await store.channels.direct_channel("c1", a, b, 1)  # e.g. unfriended since checked
    assert await send(store, a, "c1", "m1") is SendRefusal.CLOSED
    assert await send(store, c, "c1", "m2") is SendRefusal.NOT_MEMBER
    assert await store.messages.inbox_head(a) == 0


async def test_group_adds_need_a_friendship_or_consent(store: Store) -> None:
    o, f, s, x = await users(store, "o", "f", "s", "x", open_=False)
    assert (await store.accounts.get_user(s)).group_adds == "friends"  # type: ignore[union-attr]
    opened = await store.accounts.update_profile(x, ProfileChanges(group_adds="anyone"))
    assert opened.group_adds == "anyone"
    await befriend(store, o, f)
    with fails_with(Code.FORBIDDEN):  # s is nobody's friend and did not open up
        await group(store, o, [f, s])
    assert await store.channels.get_channel("g1") is None
    await group(store, o, [f, x])  # a friend, and someone open to anyone
    with fails_with(Code.FORBIDDEN):
        await store.channels.add_member("g1", s, 20, 100, 100, added_by=o)
    assert await store.channels.get_member("g1", s) is None
    await befriend(store, f, s)
    await store.channels.add_member("g1", s, 21, 100, 100, added_by=f)  # s's friend adds
    await store.channels.remove_member("g1", s)  # s leaves; o cannot bring s back
    with fails_with(Code.FORBIDDEN):
        await store.channels.add_member("g1", s, 22, 100, 100, added_by=o)
    ch = await store.channels.get_channel("g1")
    assert ch is not None and sorted(ch.members or ()) == sorted([o, f, x])


async def test_fanout_on_read_writes_no_inbox(store: Store) -> None:
    o, a, b, c = await users(store, "o", "a", "b", "c")
    await group(store, o, [a, b], limit=3)
    small = await stored(store, a, "g1", "m1")
    assert set(small.cursors) == {o, a, b}

    await store.channels.add_member("g1", c, 20, 3, 100, added_by=o)  # now fans out on read
    big = await stored(store, a, "g1", "m2")
    assert big.message.message_id == 2
    assert big.cursors == {}
    assert sorted(big.members) == sorted([o, a, b, c])
    assert await store.messages.inbox_head(c) == 0
    assert await store.messages.inbox_head(a) == 1
    assert [e.message.message_id for e in await store.messages.inbox_after(a, 0, 10)] == [1]

    # Membership changes show in the next send's member list.
    await store.channels.remove_member("g1", b)
    after = await stored(store, o, "g1", "m3")
    assert sorted(after.members) == sorted([o, a, c])
    assert await send(store, b, "g1", "m4") is SendRefusal.NOT_MEMBER
    history = await store.messages.history("g1", before=None, after=None, limit=10)
    assert [m.message_id for m in history] == [1, 2, 3]


async def test_history_windows(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    for n in range(1, 11):
        await stored(store, a if n % 2 else b, "c1", f"m{n}", at=n)
    h = store.messages.history

    def ids(messages: list[Message]) -> list[int]:
        return [m.message_id for m in messages]

    assert ids(await h("c1", before=None, after=None, limit=3)) == [8, 9, 10]  # newest
    assert ids(await h("c1", before=5, after=None, limit=3)) == [2, 3, 4]
    assert ids(await h("c1", before=3, after=None, limit=10)) == [1, 2]
    assert ids(await h("c1", before=None, after=7, limit=10)) == [8, 9, 10]
    assert ids(await h("c1", before=None, after=2, limit=3)) == [3, 4, 5]  # first after
    assert ids(await h("c1", before=6, after=2, limit=10)) == [3, 4, 5]
    assert ids(await h("c1", before=None, after=10, limit=10)) == []
    assert await h("nochannel", before=None, after=None, limit=10) == []
    messages = await h("c1", before=2, after=None, limit=1)
    assert [(m.sender_id, m.text, m.created_at, m.client_msg_id) for m in messages] == [
        (a, "m1", 1, "m1")
    ]


async def test_inbox_after(store: Store) -> None:
    a, b, c = await users(store, "a", "b", "c")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    await befriend(store, a, c)
    await store.channels.direct_channel("c2", a, c, 2)
    await stored(store, a, "c1", "m1")
    await stored(store, c, "c2", "m2")
    await stored(store, b, "c1", "m3")
    entries = await store.messages.inbox_after(a, 0, 10)
    assert [(e.seq, e.message.channel_id, e.message.message_id) for e in entries] == [
        (1, "c1", 1),
        (2, "c2", 1),
        (3, "c1", 2),
    ]
    assert entries[1].message.sender_id == c and entries[1].message.text == "m2"
    assert [e.seq for e in await store.messages.inbox_after(a, 1, 1)] == [2]
    assert await store.messages.inbox_after(a, 3, 10) == []
    assert [e.seq for e in await store.messages.inbox_after(b, 0, 10)] == [1, 2]


async def test_concurrent_senders_get_gapless_ids_and_seqs(store: Store) -> None:
    senders = await users(store, *(f"s{n}" for n in range(20)))
    reader, *_ = await users(store, "reader")
    await group(store, reader, senders)

    async def run(sender: str) -> list[Stored]:
        return [await stored(store, sender, "g1", f"{sender}-{n}") for n in range(50)]

    results = [s for batch in await asyncio.gather(*(run(s) for s in senders)) for s in batch]
    assert sorted(s.message.message_id for s in results) == list(range(1, 1001))
    assert sorted(s.cursors[reader] for s in results) == list(range(1, 1001))
    # The reader is in this channel only, so ids and seqs advance together: both are
    # assigned in the one transaction of each send.
    assert all(s.cursors[reader] == s.message.message_id for s in results)
    for user in (reader, senders[0], senders[-1]):
        entries = await store.messages.inbox_after(user, 0, 2000)
        assert [e.seq for e in entries] == list(range(1, 1001))
        assert sorted(e.message.message_id for e in entries) == list(range(1, 1001))
        assert await store.messages.inbox_head(user) == 1000
    history = await store.messages.history("g1", before=None, after=0, limit=2000)
    assert [m.message_id for m in history] == list(range(1, 1001))


async def test_concurrent_channels_share_gapless_seqs_of_a_common_member(store: Store) -> None:
    hub, *others = await users(store, "hub", *(f"o{n}" for n in range(10)))
    for n, other in enumerate(others):
        await befriend(store, hub, other)
        await store.channels.direct_channel(f"c{n}", hub, other, n)

    async def run(n: int, other: str) -> None:
        for k in range(20):
            await stored(store, other if k % 2 else hub, f"c{n}", f"{n}-{k}")

    await asyncio.gather(*(run(n, o) for n, o in enumerate(others)))
    entries = await store.messages.inbox_after(hub, 0, 1000)
    assert [e.seq for e in entries] == list(range(1, 201))
    for n in range(10):
        ids = [e.message.message_id for e in entries if e.message.channel_id == f"c{n}"]
        assert ids == list(range(1, 21))  # a user's inbox keeps each channel's order


async def test_membership_changes_during_sends_leave_no_holes(store: Store) -> None:
    """Members who join or leave while messages flow get every message from their join,
    or up to their leave, with nothing skipped: fan-out never uses a stale member list."""
    names = ["owner", "leaver", *(f"s{n}" for n in range(4)), "j0", "j1", "j2"]
    owner, leaver, *rest = await users(store, *names)
    senders, joiners = rest[:4], rest[4:]
    await group(store, owner, [leaver, *senders])

    count = 0
    progress = asyncio.Condition()
    changed = asyncio.Event()

    async def sending(sender: str) -> None:
        nonlocal count
        for n in range(50):
            if n == 45:
                await changed.wait()  # each sender's last 5 come after every change
            await stored(store, sender, "g1", f"{sender}-{n}")
            async with progress:
                count += 1
                progress.notify_all()

    async def after(stored_count: int) -> None:
        async with progress:
            await progress.wait_for(lambda: count >= stored_count)

    async def changing() -> None:
        # Each change waits for messages before it (not for a time), while sends go on.
        for n, joiner in enumerate(joiners):
            await after(20 * (n + 1))
            await store.channels.add_member("g1", joiner, 50 + n, 100, 100, added_by=owner)
        await after(80)
        await store.channels.remove_member("g1", leaver)
        changed.set()

    await asyncio.gather(changing(), *(sending(s) for s in senders))
    channel = await store.channels.get_channel("g1", with_members=False)
    assert channel is not None and channel.last_message_id == 200
    for n, joiner in enumerate(joiners):
        got = [e.message.message_id for e in await store.messages.inbox_after(joiner, 0, 500)]
        # From the join on, nothing skipped: at least the last 20, never the first 20(n+1).
        assert 20 <= len(got) <= 200 - 20 * (n + 1), len(got)
        assert got == list(range(201 - len(got), 201))
    got = [e.message.message_id for e in await store.messages.inbox_after(leaver, 0, 500)]
    # Up to the leave, nothing skipped: at least the first 80, never the last 20.
    assert 80 <= len(got) <= 180, len(got)
    assert got == list(range(1, len(got) + 1))


async def test_concurrent_resends_store_one_message(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    results = await asyncio.gather(*(stored(store, a, "c1", "same") for _ in range(10)))
    assert sum(not r.duplicate for r in results) == 1
    assert {r.message.message_id for r in results} == {1}
    assert await store.messages.inbox_head(b) == 1


# -- push --------------------------------------------------------------------------------


async def test_push_subscriptions(store: Store) -> None:
    a, b = await users(store, "a", "b")
    p = store.push
    web = PushSubscription("s1", a, "d1", "webpush", "https://push/1", "key", "auth", "", 10)
    fcm = PushSubscription("s2", a, "d2", "fcm", token="tok", created_at=20)
    hook = PushSubscription("s3", a, "d1", "webhook", "https://hook", created_at=30)
    theirs = PushSubscription("s4", b, "d9", "apns", token="t", created_at=5)
    for sub in (fcm, web, hook, theirs):
        await p.add_subscription(sub)
    assert await p.subscriptions_of(a) == [web, fcm, hook]  # oldest first
    assert await p.delete_subscription("s4", a) is False  # not theirs
    assert await p.delete_subscription("s2", a) is True
    assert await p.delete_subscription("s2", a) is False
    await p.forget_subscription("s4")
    await p.forget_subscription("s4")  # already gone: fine
    assert await p.subscriptions_of(b) == []
    assert await p.delete_device_subscriptions("d1") == 2
    assert await p.delete_device_subscriptions("d1") == 0
    assert await p.subscriptions_of(a) == []
