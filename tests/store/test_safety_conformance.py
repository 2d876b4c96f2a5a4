"""Conformance of the safety store (blocks, mutes, reports, standing, devices, erasure):
the same expectations of every engine."""

from __future__ import annotations

from chinwag.accounts.models import Device
from chinwag.friends.models import FriendRequest
from chinwag.messaging.models import SendRefusal
from chinwag.push.models import PushSubscription
from chinwag.safety.models import Report, Standing
from chinwag.store.base import Store
from tests.store.test_conformance import befriend, group, send, stored, users


async def test_block_ends_friendship_requests_and_direct_channel(store: Store) -> None:
    a, b, c = await users(store, "alice", "bob", "carol")
    await befriend(store, a, b)
    await store.channels.direct_channel("d1", a, b, 5)
    await stored(store, a, "d1", "before")
    await store.friends.create_request(FriendRequest("r1", c, a, 1))
    assert await store.safety.block(a, b, 10) == (True, True)
    assert await store.safety.block(a, b, 11) == (False, False)
    assert not await store.friends.are_friends(a, b)
    assert await send(store, b, "d1", "after") is SendRefusal.CLOSED
    assert await store.safety.blocked_ids(a) == [b]
    assert await store.safety.blocked_either(b, [a, c]) == {a}
    assert await store.safety.blocked_either(a, [b, c]) == {b}
    assert await store.safety.block(a, c, 12) == (True, False)
    assert await store.friends.requests_of(a) == ([], [])
    assert await store.safety.unblock(a, b) is True
    assert await store.safety.unblock(a, b) is False
    assert not await store.friends.are_friends(a, b)  # nothing comes back
    assert await store.safety.blocked_either(a, [b]) == set()
    assert await store.safety.blocked_either(a, []) == set()


async def test_blocks_around_a_user_both_ways(store: Store) -> None:
    a, b, c, d = await users(store, "alice", "bob", "carol", "dave")
    assert await store.safety.blocks_around(a) == ([], [])
    await store.safety.block(a, b, 1)
    await store.safety.block(c, a, 2)
    await store.safety.block(b, a, 3)
    await store.safety.block(c, d, 4)
    blocking, blocked_by = await store.safety.blocks_around(a)
    assert (sorted(blocking), sorted(blocked_by)) == ([b], sorted([b, c]))


async def test_revocation_notices(store: Store) -> None:
    a, b = await users(store, "alice", "bob")
    assert await store.safety.revocation_head() == 0
    assert await store.safety.revocations_after(0, 10) == []
    for i, user in enumerate((a, a, b)):
        await store.accounts.create_device(Device(f"d{i}", user, "x", 1), bytes([i]) * 32)
    await store.safety.set_deactivated(a, 100)
    notes = await store.safety.revocations_after(0, 10)
    assert sorted((u, d) for _, u, d in notes) == [(a, "d0"), (a, "d1")]
    head = await store.safety.revocation_head()
    assert head == max(seq for seq, _, _ in notes)
    await store.safety.set_deactivated(a, None)  # reactivating leaves none
    # A day later, older notices are pruned as a new one is written; seqs keep rising.
    await store.safety.set_deactivated(b, 100 + 86_400_001)
    notes = await store.safety.revocations_after(0, 10)
    assert [(u, d) for _, u, d in notes] == [(b, "d2")] and notes[0][0] > head
    assert await store.safety.revocations_after(notes[0][0], 10) == []


async def test_mutes(store: Store) -> None:
    (a,) = await users(store, "alice")
    await store.safety.set_mute(a, "c1", None)
    await store.safety.set_mute(a, "c2", 1000)
    assert await store.safety.mutes_of(a, 500) == {"c1": None, "c2": 1000}
    assert await store.safety.mutes_of(a, 1000) == {"c1": None}
    assert await store.safety.is_muted(a, "c2", 999)
    assert not await store.safety.is_muted(a, "c2", 1000)
    await store.safety.set_mute(a, "c1", 2000)  # replaces
    assert await store.safety.mutes_of(a, 1500) == {"c1": 2000}
    await store.safety.clear_mute(a, "c1")
    await store.safety.clear_mute(a, "c1")
    assert await store.safety.mutes_of(a, 0) == {"c2": 1000}


async def test_reports_newest_first(store: Store) -> None:
    for i in range(3):
        await store.safety.add_report(Report(f"r{i}", "u1", "c1", i + 1, "u2", "t", "why", i))
    assert [r.id for r in await store.safety.reports(2)] == ["r2", "r1"]
    assert (await store.safety.reports(1))[0] == Report("r2", "u1", "c1", 3, "u2", "t", "why", 2)


async def test_standing_admins_and_deactivation(store: Store) -> None:
    a, _ = await users(store, "alice", "alina")
    assert await store.safety.standing(a) == Standing()
    assert await store.safety.standing("u_nobody") is None
    await store.safety.set_admin(a, True)
    for i in range(2):
        await store.accounts.create_device(Device(f"d{i}", a, "x", 1), bytes([i]) * 32)
    assert sorted(await store.safety.set_deactivated(a, 50)) == ["d0", "d1"]
    assert await store.safety.standing(a) == Standing(True, 50, None)
    assert await store.accounts.device_for_token(bytes([0]) * 32) is None
    found = await store.safety.find_accounts("ALI", 10)
    assert [(v.user.username, v.standing.is_admin) for v in found] == [
        ("alice", True),
        ("alina", False),
    ]
    assert await store.safety.find_accounts("alic", 10) == found[:1]
    assert await store.safety.find_accounts("alice", 1) == found[:1]
    assert await store.safety.set_deactivated(a, None) == []
    assert await store.safety.standing(a) == Standing(True, None, None)


async def test_devices(store: Store) -> None:
    a, b = await users(store, "alice", "bob")
    await store.accounts.create_device(Device("d1", a, "phone", 1), b"1" * 32)
    await store.accounts.create_device(Device("d2", a, "laptop", 2), b"2" * 32)
    await store.safety.touch_device("d2", 40)
    await store.safety.touch_device("d2", 30)  # never backwards
    found = await store.safety.devices_of(a)
    assert [(d.id, d.name, d.last_active_at) for d in found] == [
        ("d1", "phone", None),
        ("d2", "laptop", 40),
    ]
    assert not await store.safety.revoke_own_device(b, "d1", 5)
    assert await store.safety.revoke_own_device(a, "d1", 5)
    assert not await store.safety.revoke_own_device(a, "d1", 6)
    assert [d.id for d in await store.safety.devices_of(a)] == ["d2"]


async def test_erase_account(store: Store) -> None:
    a, b, c = await users(store, "alice", "bob", "carol")
    await befriend(store, a, b)
    await store.channels.direct_channel("d1", a, b, 5)
    await group(store, a, [b, c])
    await stored(store, a, "d1", "kept")
    await store.accounts.create_device(Device("dev", a, "x", 1), b"k" * 32)
    await store.safety.block(a, c, 3)
    await store.safety.set_mute(a, "g1", None)
    await store.push.add_subscription(
        PushSubscription(id="s1", user_id=a, device_id="dev", kind="fcm", token="t")
    )
    erased = await store.safety.erase_account(a, 100, 500)
    assert erased.revoked_devices == ["dev"] and erased.former_friends == [b]
    gone = await store.accounts.get_user(a)
    assert gone is not None and (gone.username, gone.display_name) == ("", "")
    assert await store.accounts.find_user("alice") is None
    assert await store.accounts.password_hash("alice") is None
    assert await store.safety.standing(a) == Standing(False, None, 100)
    assert await store.safety.username_held("alice", 499)
    assert not await store.safety.username_held("alice", 500)
    assert await store.friends.friend_ids(b) == []
    assert await send(store, b, "d1", "after") is SendRefusal.CLOSED
    assert await store.safety.blocked_either(c, [a]) == set()
    assert await store.safety.mutes_of(a, 0) == {}
    assert await store.push.subscriptions_of(a) == []
    history = await store.messages.history("d1", before=None, after=None, limit=10)
    assert [(m.sender_id, m.text) for m in history] == [(a, "kept")]
    assert await store.safety.erase_account("u_nobody", 1, 2) == type(erased)([], [])


async def test_own_messages_paged(store: Store) -> None:
    a, b = await users(store, "alice", "bob")
    await group(store, a, [b])
    for i in range(5):
        await stored(store, a if i % 2 == 0 else b, "g1", f"m{i}")
    page = await store.safety.own_messages(a, "g1", 0, 2)
    assert [m.text for m in page] == ["m0", "m2"]
    page = await store.safety.own_messages(a, "g1", page[-1].message_id, 2)
    assert [m.text for m in page] == ["m4"]
    assert await store.safety.own_messages(a, "g1", 5, 2) == []
