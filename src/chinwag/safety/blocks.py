"""Blocking: the blocked user cannot befriend, message or see the blocker, nor the
other way round; a friendship between them ends. Unblocking restores nothing."""

from __future__ import annotations

from chinwag import wire
from chinwag.accounts.models import User
from chinwag.accounts.store import AccountStore
from chinwag.clock import Clock, now_ms
from chinwag.errors import conflict, invalid, not_found
from chinwag.events import BlockChanged, Publisher
from chinwag.safety.store import SafetyStore


class BlockService:
    def __init__(self, store: SafetyStore, accounts: AccountStore, bus: Publisher, clock: Clock):
        self._store = store
        self._accounts = accounts
        self._bus = bus
        self._clock = clock

    async def block(self, user_id: str, target_id: str) -> None:
        if target_id == user_id:
            raise invalid("you cannot block yourself")
        standing = await self._store.standing(target_id)
        if standing is None or standing.deleted_at is not None:
            raise not_found("no such user")
        new, were_friends = await self._store.block(user_id, target_id, now_ms(self._clock))
        if new:
            self._changed(BlockChanged(user_id, target_id, True))
        if were_friends:
            users = {u.id: u for u in await self._accounts.get_users([user_id, target_id])}
            for me, other in ((user_id, target_id), (target_id, user_id)):
                if other in users:
                    self._bus.to_user(
                        me, wire.frame("friend", event="removed", user=wire.user(users[other]))
                    )
        if not new:
            raise conflict("this user is already blocked")

    async def unblock(self, user_id: str, target_id: str) -> None:
        if not await self._store.unblock(user_id, target_id):
            raise not_found("this user is not blocked")
        self._changed(BlockChanged(user_id, target_id, False))

    def _changed(self, event: BlockChanged) -> None:
        """Tell the gateways of both users, which filter typing and presence between
        them from sets kept per socket (gateway/blocklist.py)."""
        self._bus.control(event.blocker_id, event)
        self._bus.control(event.blocked_id, event)

    async def around(self, user_id: str) -> tuple[list[str], list[str]]:
        """(users this user blocked, users who blocked this user)."""
        return await self._store.blocks_around(user_id)

    async def blocked(self, user_id: str) -> list[User]:
        ids = await self._store.blocked_ids(user_id)
        found = {u.id: u for u in await self._accounts.get_users(ids)}
        return [found[i] for i in ids if i in found]

    async def hidden_among(self, user_id: str, others: list[str]) -> set[str]:
        """Those of `others` with a block between them and `user_id`, either way."""
        return await self._store.blocked_either(user_id, others)
