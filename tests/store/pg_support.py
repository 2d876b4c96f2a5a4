"""Users, friendships and channels for the PostgreSQL-only store tests: the members of a
direct channel or a group are friends of each other or of its owner, as the service
requires before it opens one."""

from __future__ import annotations

from chinwag.accounts.models import NewUser
from chinwag.friends.models import FriendRequest
from chinwag.store.postgres.store import PostgresStore


async def users(store: PostgresStore, *ids: str) -> None:
    for uid in ids:
        await store.accounts.create_user(NewUser(uid, uid, "h", uid, 1))


async def befriend(store: PostgresStore, a: str, b: str) -> None:
    if await store.friends.are_friends(a, b):
        return
    request = FriendRequest(f"r_{a}_{b}", a, b, 1)
    await store.friends.create_request(request)
    await store.friends.accept_request(request, 1)


async def direct(store: PostgresStore, channel_id: str, a: str, b: str) -> None:
    await befriend(store, a, b)
    await store.channels.direct_channel(channel_id, a, b, 1)


async def group(
    store: PostgresStore, channel_id: str, owner: str, others: list[str], limit: int = 100
) -> None:
    for other in others:
        await befriend(store, owner, other)
    await store.channels.create_group(channel_id, channel_id, owner, others, 1, limit)
