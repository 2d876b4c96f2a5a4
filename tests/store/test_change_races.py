"""An edit or a reaction whose channel changes between the service's checks and the
store's transaction: an encryption switch or an unfriending that commits in between is
refused with the same error as when it came first, and nothing is published."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from chinwag.channels.models import Member
from chinwag.clock import FakeClock
from chinwag.errors import ChinwagError, Code
from chinwag.events import Control
from chinwag.messaging.changes import DIRECT_CLOSED, ENCRYPTED_EDIT, ChangeService
from chinwag.store.base import Store
from tests.store.test_conformance import befriend, stored, users


class _Before:
    """Memberships as they were when the service checked: open and plain."""

    async def member(self, channel_id: str, user_id: str) -> Member:
        return Member(channel_id, user_id, "member", 0, 0)

    async def direct_closed(self, channel_id: str) -> bool:
        return False

    async def encrypted(self, channel_id: str) -> bool:
        return False


class _Recorded:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None:
        self.frames.append(data)

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None:
        self.frames.append(data)

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        self.frames.append(data)

    def control(self, user_id: str, event: Control) -> None:
        pass

    def push(self, data: bytes) -> None:
        pass


async def test_a_switch_or_unfriending_in_between_is_refused(store: Store) -> None:
    a, b = await users(store, "a", "b")
    await befriend(store, a, b)
    await store.channels.direct_channel("c1", a, b, 1)
    await stored(store, a, "c1", "m1", text="plain")
    bus = _Recorded()
    service = ChangeService(store.messages, _Before(), bus, FakeClock(), max_text_chars=100)

    await store.channels.set_encrypted("c1")
    with pytest.raises(ChinwagError) as caught:
        await service.edit(a, "c1", 1, "leaked?")
    assert caught.value.code is Code.INVALID_REQUEST and caught.value.message == ENCRYPTED_EDIT

    assert await store.friends.remove_friend(b, a) is True
    with pytest.raises(ChinwagError) as caught:
        await service.react(b, "c1", 1, "👍", add=True)
    assert caught.value.code is Code.FORBIDDEN and caught.value.message == DIRECT_CLOSED

    assert bus.frames == []
    assert (await store.messages.message("c1", 1)).text == "plain"  # type: ignore[union-attr]
