"""Fakes of chinwag's own ports (store Protocols, the publisher), for services tested
alone: no engine, no server. Only what the tests here need is implemented; anything else
raises so a test cannot pass by accident."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from chinwag.accounts.models import User
from chinwag.channels import rules
from chinwag.channels.models import Channel, Member, MemberAdded, Role
from chinwag.errors import conflict, not_found
from chinwag.events import Control
from chinwag.friends.models import FriendRequest
from chinwag.push.models import PushSubscription


@dataclass
class Published:
    """Everything a service published, in order."""

    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    controls: list[tuple[str, Control]] = field(default_factory=list)
    pushes: list[bytes] = field(default_factory=list)

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None:
        self.frames.append(("user", user_id, json.loads(data)))

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None:
        for user_id in user_ids:
            self.to_user(user_id, data)

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        self.frames.append(("channel", channel_id, json.loads(data)))

    def control(self, user_id: str, event: Control) -> None:
        self.controls.append((user_id, event))

    def push(self, data: bytes) -> None:
        self.pushes.append(data)


class FakeChannels:
    """Groups in dicts, with the rules the engines call."""

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.members: dict[str, dict[str, Member]] = {}

    def put_group(self, channel_id: str, roles: dict[str, Role], fanout: str = "write") -> None:
        self.channels[channel_id] = Channel(
            channel_id, "group", "g", "write" if fanout == "write" else "read", len(roles), 0, 1
        )
        self.members[channel_id] = {
            u: Member(channel_id, u, r, 0, n) for n, (u, r) in enumerate(roles.items())
        }

    def _with_members(self, channel_id: str) -> Channel:
        ids = tuple(self.members[channel_id])
        return replace(self.channels[channel_id], member_count=len(ids), members=ids)

    async def get_member(self, channel_id: str, user_id: str) -> Member | None:
        return self.members.get(channel_id, {}).get(user_id)

    async def get_channel(self, channel_id: str, *, with_members: bool = True) -> Channel | None:
        if channel_id not in self.channels:
            return None
        channel = self._with_members(channel_id)
        return channel if with_members else replace(channel, members=None)

    async def member_ids(self, channel_id: str) -> list[str]:
        return list(self.members[channel_id])

    async def add_member(
        self,
        channel_id: str,
        user_id: str,
        at: int,
        small_group_limit: int,
        max_size: int,
        *,
        added_by: str,
    ) -> MemberAdded:
        group = self.members[channel_id]
        if user_id in group:
            raise conflict("already a member")
        rules.check_room(len(group) + 1, max_size)
        before = self.channels[channel_id].fanout
        previous = tuple(group) if before == "write" else ()
        group[user_id] = Member(channel_id, user_id, "member", 0, at)
        fanout = rules.fanout_after_add(before, len(group), small_group_limit)
        self.channels[channel_id] = replace(self.channels[channel_id], fanout=fanout)
        return MemberAdded(self._with_members(channel_id), before, previous)

    async def remove_member(self, channel_id: str, user_id: str) -> Channel | None:
        group = self.members[channel_id]
        gone = group.pop(user_id, None)
        if gone is None:
            raise not_found("not a member")
        if gone.role == "owner":
            heir = rules.heir(group.values())
            if heir is None:
                return None
            group[heir] = replace(group[heir], role="owner")
        return self._with_members(channel_id)

    async def set_role(self, channel_id: str, user_id: str, role: Role) -> None:
        self.members[channel_id][user_id] = replace(self.members[channel_id][user_id], role=role)

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


class FakeFriends:
    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.pairs = {frozenset(p) for p in pairs}

    async def are_friends(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.pairs

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


class FakePushStore:
    def __init__(self) -> None:
        self.subs: dict[str, PushSubscription] = {}

    async def add_subscription(self, sub: PushSubscription) -> None:
        self.subs[sub.id] = sub

    async def delete_subscription(self, sub_id: str, user_id: str) -> bool:
        sub = self.subs.get(sub_id)
        if sub is None or sub.user_id != user_id:
            return False
        del self.subs[sub_id]
        return True

    async def delete_device_subscriptions(self, device_id: str) -> int:
        gone = [k for k, sub in self.subs.items() if sub.device_id == device_id]
        for k in gone:
            del self.subs[k]
        return len(gone)

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


class FakeAccounts:
    def __init__(self, *users: User) -> None:
        self.users = {u.id: u for u in users}

    async def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def get_users(self, user_ids: list[str]) -> list[User]:
        return [self.users[u] for u in user_ids if u in self.users]

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


class FakeFriendStore:
    """Requests and friendships in memory, with the store's conflicts."""

    def __init__(self) -> None:
        self.requests: dict[str, FriendRequest] = {}
        self.pairs: set[frozenset[str]] = set()

    async def create_request(self, request: FriendRequest) -> FriendRequest:
        pair = frozenset((request.from_user_id, request.to_user_id))
        pending = {frozenset((r.from_user_id, r.to_user_id)) for r in self.requests.values()}
        if pair in self.pairs or pair in pending:
            raise conflict("already friends or a request is pending")
        self.requests[request.id] = request
        return request

    async def get_request(self, request_id: str) -> FriendRequest | None:
        return self.requests.get(request_id)

    async def accept_request(self, request: FriendRequest, at: int) -> None:
        del self.requests[request.id]
        self.pairs.add(frozenset((request.from_user_id, request.to_user_id)))

    async def delete_request(self, request_id: str) -> bool:
        return self.requests.pop(request_id, None) is not None

    async def remove_friend(self, a: str, b: str) -> bool:
        if frozenset((a, b)) not in self.pairs:
            return False
        self.pairs.discard(frozenset((a, b)))
        return True

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)
