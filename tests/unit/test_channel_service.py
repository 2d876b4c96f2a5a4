"""ChannelService alone: fakes of its store Protocols, a recording publisher, a fake
clock. What it publishes is decided here, from what the store read in its transaction."""

from __future__ import annotations

import pytest

from chinwag.channels.service import ChannelService, GroupLimits
from chinwag.clock import FakeClock
from chinwag.errors import ChinwagError, Code
from chinwag.events import ChannelJoined, ChannelLeft
from tests.unit.fakes import FakeChannels, FakeFriends, Published


def service(
    channels: FakeChannels, *, limit: int = 3, typing_interval: float = 1.0
) -> tuple[ChannelService, Published, FakeClock]:
    bus, clock = Published(), FakeClock()
    svc = ChannelService(
        channels,  # type: ignore[arg-type]  # implements what the service calls
        FakeFriends(),  # type: ignore[arg-type]
        bus,
        clock,
        GroupLimits(limit, 10, typing_interval),
    )
    return svc, bus, clock


async def test_the_add_that_crosses_the_limit_moves_every_member_to_the_channel_route() -> None:
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "a": "member", "b": "member"})
    svc, bus, _ = service(channels, limit=3)
    channel = await svc.add_member("o", "g1", "c")
    assert channel.fanout == "read"
    assert sorted(bus.controls, key=lambda c: c[0]) == [
        (u, ChannelJoined("g1", True)) for u in ("a", "b", "c", "o")
    ]
    # Told once, through the channel's route, and the new member directly.
    assert [(route, to) for route, to, _ in bus.frames] == [("channel", "g1"), ("user", "c")]


async def test_an_add_to_a_group_already_switched_tells_only_the_new_member() -> None:
    # The group crossed the limit in another add (another process, say): this add's
    # store result says it was on read already, so nobody is switched twice.
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "a": "member"}, fanout="read")
    svc, bus, _ = service(channels, limit=3)
    await svc.add_member("o", "g1", "c")
    assert bus.controls == [("c", ChannelJoined("g1", True))]


async def test_a_small_group_add_tells_every_member_by_user() -> None:
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "a": "member"})
    svc, bus, _ = service(channels, limit=3)
    await svc.add_member("o", "g1", "b")
    assert bus.controls == [("b", ChannelJoined("g1", False))]
    assert sorted(to for _, to, frame in bus.frames if frame["event"] == "member_added") == [
        "a",
        "b",
        "o",
    ]


async def test_only_owners_and_admins_add() -> None:
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "a": "member"})
    svc, bus, _ = service(channels)
    with pytest.raises(ChinwagError) as refused:
        await svc.add_member("a", "g1", "b")
    assert refused.value.code is Code.FORBIDDEN
    assert bus.controls == [] and bus.frames == []


async def test_the_owner_leaving_passes_the_group_to_the_heir() -> None:
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "m": "member", "a": "admin"})
    svc, bus, _ = service(channels)
    await svc.remove_member("o", "g1", "o")
    assert (await channels.get_member("g1", "a")).role == "owner"  # type: ignore[union-attr]
    assert bus.controls == [("o", ChannelLeft("g1"))]


async def test_typing_is_relayed_once_per_interval_on_the_fake_clock() -> None:
    channels = FakeChannels()
    channels.put_group("g1", {"o": "owner", "a": "member"})
    svc, bus, clock = service(channels, typing_interval=2.0)
    await svc.typing("o", "g1")
    await svc.typing("o", "g1")  # within the interval: dropped quietly
    assert [to for _, to, _ in bus.frames] == ["a"]
    clock.advance(2.0)
    await svc.typing("o", "g1")
    assert [to for _, to, _ in bus.frames] == ["a", "a"]
