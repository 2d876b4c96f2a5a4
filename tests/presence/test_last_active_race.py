"""A lookup that races the write of last_active_at still answers it: a user shown online
always has a last_active_at, whether the write is queued, in flight or not yet started."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chinwag.accounts.models import NewUser
from chinwag.bus.local import LocalBus
from chinwag.clock import FakeClock
from chinwag.presence.service import PresenceService
from chinwag.store.sqlite.store import SqliteStore
from tests.helpers.wait import wait_for


class _Online:
    def __init__(self) -> None:
        self.users: set[str] = set()

    def is_online(self, user_id: str) -> bool:
        return user_id in self.users


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "db.sqlite")
    await s.start()
    await s.accounts.create_user(NewUser("u_a", "alice", "h", "", 1))
    await s.accounts.create_user(NewUser("u_b", "bob", "h", "", 1))
    try:
        yield s
    finally:
        await s.close()


async def test_online_user_has_last_active_while_its_write_is_queued(store: SqliteStore) -> None:
    clock = FakeClock()
    service = PresenceService(
        store.accounts, store.friends, store.channels, LocalBus(), clock, write_interval=30.0
    )
    online = _Online()
    service.tracker = online
    # Hold the writer so no last_active_at write can commit.
    release = threading.Event()
    blocker = store.db.write(lambda conn, state: release.wait(10))
    try:
        online.users.add("u_a")
        service.changed("u_a", True)
        # Before the write task has even started: online means active now.
        [entry] = await service.lookup("u_a", ["u_a"])
        assert entry.status == "online" and entry.last_active_at is not None
        # Wait until the write has started and is queued behind the blocker.
        await wait_for(lambda: "u_a" in service._active_ms)
        clock.advance(5)
        [entry] = await service.lookup("u_a", ["u_a"])
        queued = entry.last_active_at
        assert queued is not None
        # Never active and offline: nothing to show.
        [other] = await service.lookup("u_b", ["u_b"])
        assert other.status == "offline" and other.last_active_at is None
        release.set()
        await blocker
        # Once written, the stored time is the one answered while it was queued.
        await wait_for(lambda: _written(store))
        [entry] = await service.lookup("u_a", ["u_a"])
        assert entry.last_active_at == queued
    finally:
        release.set()
        await service.close()


async def _written(store: SqliteStore) -> bool:
    [user] = await store.accounts.get_users(["u_a"])
    return user.last_active_at is not None
