"""Presence as other users see it: fan-out of changes to friends, lookups, last_active_at.

Changes fan out only to friends (large groups get none: clients ask on demand). The
stored `last_active_at` is written when a user goes offline and at most once per
`write_interval` while they stay online, so a busy user does not write on every frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from chinwag import wire
from chinwag.accounts.store import AccountStore
from chinwag.channels.store import ChannelStore
from chinwag.clock import Clock, now_ms, rfc3339
from chinwag.events import Publisher
from chinwag.friends.store import FriendStore
from chinwag.protocol.codec import encode
from chinwag.protocol.frames import PresenceFrame

log = logging.getLogger("chinwag.presence")

MAX_LOOKUP = 1000


class OnlineView(Protocol):
    """Who is online: this process's tracker alone, or the cluster (presence/cluster.py)."""

    def is_online(self, user_id: str) -> bool: ...


class PresenceService:
    def __init__(
        self,
        accounts: AccountStore,
        friends: FriendStore,
        channels: ChannelStore,
        bus: Publisher,
        clock: Clock,
        write_interval: float,
        blocked: Callable[[str, list[str]], Awaitable[set[str]]] | None = None,
    ) -> None:
        """`blocked(user, others)`: those of `others` with a block between them and
        `user`, either way; neither sees the other's presence."""
        self._accounts = accounts
        self._blocked = blocked
        self._friends = friends
        self._channels = channels
        self._bus = bus
        self._clock = clock
        self._write_interval = write_interval
        self.tracker: OnlineView | None = None
        self._last_written: dict[str, float] = {}
        # Activity times being written, so a lookup racing the write still sees them.
        self._active_ms: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.changes = 0

    def is_online(self, user_id: str) -> bool:
        return self.tracker is not None and self.tracker.is_online(user_id)

    def changed(self, user_id: str, online: bool) -> None:
        """Called by the tracker on each transition."""
        self.changes += 1
        task = asyncio.get_running_loop().create_task(self._fan_out(user_id, online))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def seen(self, user_id: str) -> None:
        """A frame from the user: keep last_active_at fresh, throttled."""
        mono = self._clock.monotonic()
        last = self._last_written.get(user_id)
        if last is not None and mono - last < self._write_interval:
            return
        self._last_written[user_id] = mono
        self._spawn(self._touch(user_id, now_ms(self._clock)))

    def _spawn(self, coro: object) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: object) -> None:
        try:
            await coro  # type: ignore[misc]
        except Exception:
            log.exception("presence write failed")

    async def _touch(self, user_id: str, at: int) -> None:
        self._active_ms[user_id] = at
        try:
            await self._accounts.touch_last_active(user_id, at)
        finally:
            if self._active_ms.get(user_id) == at:
                del self._active_ms[user_id]

    async def _fan_out(self, user_id: str, online: bool) -> None:
        try:
            at = now_ms(self._clock)
            if not online:
                self._last_written.pop(user_id, None)
            await self._touch(user_id, at)
            friends = await self._friends.friend_ids(user_id)
            frame = encode(PresenceFrame(user_id, "online" if online else "offline", rfc3339(at)))
            # Marked with its sender: a gateway holds it back from anyone with a block
            # between them (a block ends the friendship, but this list may predate it).
            self._bus.to_users(friends, frame, sender=user_id)
        except Exception:
            log.exception("presence fan-out failed for %s", user_id)

    async def visible_to(self, viewer: str, user_ids: Iterable[str]) -> list[str]:
        """The subset of `user_ids` whose presence `viewer` may see."""
        friends = set(await self._friends.friend_ids(viewer))
        ids = list(user_ids)
        hidden = await self._blocked(viewer, ids) if self._blocked is not None else set()
        out = []
        for uid in ids:
            if uid in hidden:
                continue
            if uid == viewer or uid in friends or await self._channels.shares_channel(viewer, uid):
                out.append(uid)
        return out

    async def lookup(self, viewer: str, user_ids: list[str]) -> list[wire.PresenceOut]:
        ids = list(dict.fromkeys(user_ids))[:MAX_LOOKUP]
        visible = await self.visible_to(viewer, ids)
        # Read what is being written before the stored rows, so a write that commits in
        # between is seen in one or the other.
        pending = {uid: self._active_ms[uid] for uid in visible if uid in self._active_ms}
        users = {u.id: u for u in await self._accounts.get_users(visible)}
        out = []
        for uid in visible:
            if uid in users:
                online = self.is_online(uid)
                at = max(users[uid].last_active_at or 0, pending.get(uid, 0)) or None
                if at is None and online:
                    at = now_ms(self._clock)  # its first write, on another process, is pending
                out.append(wire.presence(uid, online, at))
        return out

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
