"""FriendService alone: fakes of its two store Protocols, a recording publisher and a
fake clock. Both sides' devices hear of every change."""

from __future__ import annotations

import pytest

from chinwag.accounts.models import User
from chinwag.clock import FakeClock
from chinwag.errors import ChinwagError, Code
from chinwag.friends.service import FriendService
from tests.unit.fakes import FakeAccounts, FakeFriendStore, Published

ANN = User("u_ann", "ann", "Ann", "", "", 1)
BOB = User("u_bob", "bob", "Bob", "", "", 1)


def service() -> tuple[FriendService, FakeFriendStore, Published, FakeClock]:
    store, bus, clock = FakeFriendStore(), Published(), FakeClock(2_000.0)
    svc = FriendService(store, FakeAccounts(ANN, BOB), bus, clock)  # type: ignore[arg-type]
    return svc, store, bus, clock


async def refused(coro: object) -> Code:
    with pytest.raises(ChinwagError) as exc:
        await coro  # type: ignore[misc]
    return exc.value.code


async def test_a_request_is_dated_by_the_clock_and_told_to_both() -> None:
    svc, _, bus, _ = service()
    req = await svc.request(ANN.id, BOB.id)
    assert (req.from_user_id, req.to_user_id, req.created_at) == (ANN.id, BOB.id, 2_000_000)
    assert [(to, f["event"], f["user"]["id"]) for _, to, f in bus.frames] == [
        (BOB.id, "request", ANN.id),
        (ANN.id, "request", ANN.id),
    ]
    assert bus.frames[0][2]["request"]["id"] == req.id


async def test_requests_to_oneself_to_nobody_or_twice_are_refused() -> None:
    svc, _, bus, _ = service()
    assert await refused(svc.request(ANN.id, ANN.id)) is Code.INVALID_REQUEST
    assert await refused(svc.request(ANN.id, "u_ghost")) is Code.NOT_FOUND
    await svc.request(ANN.id, BOB.id)
    assert await refused(svc.request(BOB.id, ANN.id)) is Code.CONFLICT
    assert len(bus.frames) == 2  # only the one request was told


async def test_only_the_recipient_accepts_and_each_side_hears_of_the_other() -> None:
    svc, store, bus, _ = service()
    req = await svc.request(ANN.id, BOB.id)
    bus.frames.clear()
    assert await refused(svc.accept(req.id, ANN.id)) is Code.FORBIDDEN
    assert await refused(svc.accept(req.id, "u_stranger")) is Code.NOT_FOUND
    assert await svc.accept(req.id, BOB.id) == ANN.id
    assert store.pairs == {frozenset((ANN.id, BOB.id))}
    assert [(to, f["event"], f["user"]["id"]) for _, to, f in bus.frames] == [
        (ANN.id, "accepted", BOB.id),
        (BOB.id, "accepted", ANN.id),
    ]


async def test_the_sender_may_withdraw_and_removing_a_non_friend_is_not_found() -> None:
    svc, store, bus, _ = service()
    req = await svc.request(ANN.id, BOB.id)
    await svc.decline(req.id, ANN.id)
    assert store.requests == {}
    assert await refused(svc.remove(ANN.id, BOB.id)) is Code.NOT_FOUND
    req = await svc.request(ANN.id, BOB.id)
    await svc.accept(req.id, BOB.id)
    bus.frames.clear()
    await svc.remove(BOB.id, ANN.id)
    assert store.pairs == set()
    assert sorted((to, f["event"]) for _, to, f in bus.frames) == [
        (ANN.id, "removed"),
        (BOB.id, "removed"),
    ]
