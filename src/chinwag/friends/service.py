"""Friend requests and the friend list. Both sides' devices hear of every change."""

from __future__ import annotations

from chinwag import wire
from chinwag.accounts.store import AccountStore
from chinwag.clock import Clock, now_ms
from chinwag.errors import forbidden, invalid, not_found
from chinwag.events import Publisher
from chinwag.friends.models import FriendRequest
from chinwag.friends.store import FriendStore
from chinwag.ids import new_id


class FriendService:
    def __init__(self, store: FriendStore, accounts: AccountStore, bus: Publisher, clock: Clock):
        self._store = store
        self._accounts = accounts
        self._bus = bus
        self._clock = clock

    async def request(self, from_user: str, to_user: str) -> FriendRequest:
        if from_user == to_user:
            raise invalid("you cannot send a friend request to yourself")
        target = await self._accounts.get_user(to_user)
        if target is None:
            raise not_found("no such user")
        req = await self._store.create_request(
            FriendRequest(new_id("f"), from_user, to_user, now_ms(self._clock))
        )
        sender = await self._accounts.get_user(from_user)
        if sender is not None:
            data = wire.frame(
                "friend", event="request", user=wire.user(sender), request=wire.friend_request(req)
            )
            self._bus.to_users((to_user, from_user), data)
        return req

    async def requests(self, user_id: str) -> tuple[list[FriendRequest], list[FriendRequest]]:
        return await self._store.requests_of(user_id)

    async def _own_request(self, request_id: str, user_id: str) -> FriendRequest:
        req = await self._store.get_request(request_id)
        if req is None or user_id not in (req.from_user_id, req.to_user_id):
            raise not_found("no such friend request")
        return req

    async def accept(self, request_id: str, user_id: str) -> str:
        """Accept a request addressed to `user_id`; returns the new friend's id."""
        req = await self._own_request(request_id, user_id)
        if req.to_user_id != user_id:
            raise forbidden("only the recipient can accept a friend request")
        await self._store.accept_request(req, now_ms(self._clock))
        users = {u.id: u for u in await self._accounts.get_users([req.from_user_id, user_id])}
        for me, other in ((req.from_user_id, user_id), (user_id, req.from_user_id)):
            if other in users:
                self._bus.to_user(
                    me, wire.frame("friend", event="accepted", user=wire.user(users[other]))
                )
        return req.from_user_id

    async def decline(self, request_id: str, user_id: str) -> None:
        """The recipient declines, or the sender withdraws, a pending request."""
        req = await self._own_request(request_id, user_id)
        await self._store.delete_request(req.id)

    async def friend_ids(self, user_id: str) -> list[str]:
        return await self._store.friend_ids(user_id)

    async def are_friends(self, a: str, b: str) -> bool:
        return await self._store.are_friends(a, b)

    async def remove(self, user_id: str, friend_id: str) -> None:
        if not await self._store.remove_friend(user_id, friend_id):
            raise not_found("not a friend")
        users = {u.id: u for u in await self._accounts.get_users([user_id, friend_id])}
        for me, other in ((user_id, friend_id), (friend_id, user_id)):
            if other in users:
                self._bus.to_user(
                    me, wire.frame("friend", event="removed", user=wire.user(users[other]))
                )
