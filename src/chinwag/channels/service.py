"""Direct channels, groups, membership, roles, read markers and typing."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chinwag import wire
from chinwag.channels import rules
from chinwag.channels.models import Channel, ChannelView, Member, Role
from chinwag.channels.store import ChannelStore
from chinwag.clock import Clock, now_ms
from chinwag.errors import forbidden, invalid, not_found
from chinwag.events import ChannelJoined, ChannelLeft, Publisher
from chinwag.friends.store import FriendStore
from chinwag.ids import new_id
from chinwag.ratelimit import RateLimiter

MAX_GROUP_NAME = 100
ADMIN_ROLES = ("owner", "admin")


@dataclass(frozen=True, slots=True)
class GroupLimits:
    small_group_limit: int
    max_group_size: int
    typing_interval: float


# (channel, user_id, joined): called after a member joined or left an encrypted channel,
# so that its members' devices learn to query keys again.
MembersListener = Callable[[Channel, str, bool], None]


class ChannelService:
    def __init__(
        self,
        store: ChannelStore,
        friends: FriendStore,
        bus: Publisher,
        clock: Clock,
        limits: GroupLimits,
        blocked: Callable[[str, list[str]], Awaitable[set[str]]] | None = None,
    ) -> None:
        """`blocked(user, others)`: those of `others` with a block between them and
        `user`, either way; neither may add the other to a group. (Typing between them
        is held back by the gateways, which keep each socket's blocks.)"""
        self._store = store
        self._blocked = blocked
        self._friends = friends
        self._bus = bus
        self._clock = clock
        self.limits = limits
        self._typing = RateLimiter(1.0 / limits.typing_interval, 1.0, clock)
        self._member_listeners: list[MembersListener] = []

    def on_members_changed(self, listener: MembersListener) -> None:
        self._member_listeners.append(listener)

    def _members_changed(self, channel: Channel, user_id: str, joined: bool) -> None:
        if channel.encrypted:
            for listener in self._member_listeners:
                listener(channel, user_id, joined)

    # -- reading ---------------------------------------------------------------

    async def member(self, channel_id: str, user_id: str) -> Member:
        """The caller's membership, or 404 (no channel) / 403 (not a member)."""
        member = await self._store.get_member(channel_id, user_id)
        if member is not None:
            return member
        if await self._store.get_channel(channel_id, with_members=False) is None:
            raise not_found("no such channel")
        raise forbidden("you are not a member of this channel")

    async def encrypted(self, channel_id: str) -> bool:
        """Whether the channel is end-to-end encrypted (False when there is none). Edits
        ask; sends are checked by the engine in their own transaction."""
        channel = await self._store.get_channel(channel_id, with_members=False)
        return channel is not None and channel.encrypted

    async def direct_closed(self, channel_id: str) -> bool:
        """Whether this is a direct channel closed to new messages (its friendship ended,
        by unfriending or a block): it takes no reactions or edits either."""
        channel = await self._store.get_channel(channel_id, with_members=True)
        if channel is None or channel.kind != "direct" or not channel.members:
            return False
        return not await self._friends.are_friends(*channel.members[:2])

    async def get(self, channel_id: str, user_id: str) -> Channel:
        await self.member(channel_id, user_id)
        channel = await self._store.get_channel(channel_id, with_members=True)
        if channel is None:
            raise not_found("no such channel")
        return channel

    async def list_for(self, user_id: str) -> list[ChannelView]:
        return await self._store.channels_of(
            user_id, member_list_limit=self.limits.small_group_limit
        )

    async def members(self, channel_id: str, user_id: str) -> list[Member]:
        await self.member(channel_id, user_id)
        return await self._store.members(channel_id)

    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]:
        return await self._store.large_groups_of(user_id)

    async def shares_channel(self, a: str, b: str) -> bool:
        return await self._store.shares_channel(a, b)

    # -- creating --------------------------------------------------------------

    async def open_direct(
        self, user_id: str, other_id: str, *, encrypted: bool = False
    ) -> tuple[Channel, bool]:
        if other_id == user_id:
            raise invalid("a direct channel needs another user")
        if not await self._friends.are_friends(user_id, other_id):
            raise forbidden("direct channels are only between friends")
        channel, created = await self._store.direct_channel(
            new_id("c"), user_id, other_id, now_ms(self._clock)
        )
        if encrypted and not channel.encrypted:
            # Either user of a direct channel may turn it on (there is no owner).
            await self._store.set_encrypted(channel.id)
            channel = dataclasses.replace(channel, encrypted=True)
            if not created:
                self._announce(channel, "encrypted", channel.members or ())
        if created:
            self._announce(channel, "created", channel.members or ())
        return channel, created

    async def set_encrypted(self, actor_id: str, channel_id: str) -> Channel:
        """Turn end-to-end encryption on (never off): the owner of a group within the
        small-group limit, or either user of a direct channel."""
        actor = await self.member(channel_id, actor_id)
        channel = await self._store.get_channel(channel_id, with_members=True)
        if channel is None:
            raise not_found("no such channel")
        if channel.encrypted:
            return channel
        if channel.kind == "group" and actor.role != "owner":
            raise forbidden("only the owner can turn on encryption")
        if channel.member_count > self.limits.small_group_limit:
            raise invalid(
                f"only groups of at most {self.limits.small_group_limit} members can be encrypted"
            )
        await self._store.set_encrypted(channel_id)
        channel = dataclasses.replace(channel, encrypted=True)
        self._announce(channel, "encrypted", channel.members or ())
        return channel

    async def create_group(
        self, owner_id: str, name: str, member_ids: list[str], *, encrypted: bool = False
    ) -> Channel:
        name = name.strip()
        if not 1 <= len(name) <= MAX_GROUP_NAME:
            raise invalid(f"name must be 1 to {MAX_GROUP_NAME} characters")
        if len(set(member_ids)) != len(member_ids):
            raise invalid("member_ids has duplicates")
        others = [m for m in member_ids if m != owner_id]
        if len(others) + 1 > self.limits.max_group_size:
            raise invalid(f"a group has at most {self.limits.max_group_size} members")
        if encrypted and len(others) + 1 > self.limits.small_group_limit:
            raise invalid(f"an encrypted group has at most {self.limits.small_group_limit} members")
        await self._refuse_blocked(owner_id, others)
        channel = await self._store.create_group(
            new_id("c"), name, owner_id, others, now_ms(self._clock), self.limits.small_group_limit
        )
        if encrypted:
            await self._store.set_encrypted(channel.id)
            channel = dataclasses.replace(channel, encrypted=True)
        members = channel.members or ()
        large = channel.fanout == "read"
        for user_id in members:
            self._bus.control(user_id, ChannelJoined(channel.id, large))
        self._announce(channel, "created", members)
        return channel

    async def _refuse_blocked(self, actor_id: str, user_ids: list[str]) -> None:
        """Nobody puts into a group someone with a block between them, either way."""
        if self._blocked is not None and user_ids and await self._blocked(actor_id, user_ids):
            raise forbidden("you cannot add a user you blocked or who blocked you")

    # -- membership ------------------------------------------------------------

    async def add_member(self, actor_id: str, channel_id: str, user_id: str) -> Channel:
        actor = await self.member(channel_id, actor_id)
        if actor.role not in ADMIN_ROLES:
            raise forbidden("only the owner or an admin can add members")
        await self._refuse_blocked(actor_id, [user_id])
        current = await self._store.get_channel(channel_id, with_members=False)
        max_size = self.limits.max_group_size
        if current is not None and current.encrypted:
            # Encrypted groups stay within fan-out on write (keys are shared per device).
            max_size = min(max_size, self.limits.small_group_limit)
        added = await self._store.add_member(
            channel_id,
            user_id,
            now_ms(self._clock),
            self.limits.small_group_limit,
            max_size,
            added_by=actor_id,
        )
        channel, before = added.channel, added.previous_members
        large = channel.fanout == "read"
        # Decided from the fan-out read inside the add's transaction: a concurrent add
        # cannot make two callers (or none) see the switch.
        if rules.just_switched(added.previous_fanout, channel.fanout):
            for member_id in before:
                self._bus.control(member_id, ChannelJoined(channel_id, True))
        self._bus.control(user_id, ChannelJoined(channel_id, large))
        self._announce(channel, "member_added", [*before, user_id], user_id=user_id)
        self._members_changed(channel, user_id, True)
        return channel

    async def remove_member(self, actor_id: str, channel_id: str, user_id: str) -> None:
        actor = await self.member(channel_id, actor_id)
        if actor_id != user_id:
            target = await self._store.get_member(channel_id, user_id)
            if target is None:
                raise not_found("not a member")
            if (
                actor.role not in ADMIN_ROLES
                or (target.role == "owner")
                or (target.role == "admin" and actor.role != "owner")
            ):
                raise forbidden("you cannot remove this member")
        channel = await self._store.get_channel(channel_id, with_members=False)
        if channel is None or channel.kind != "group":
            raise invalid("members can only be removed from groups")
        before = await self._store.member_ids(channel_id)
        after = await self._store.remove_member(channel_id, user_id)
        # Stop live delivery to the removed member at once.
        self._bus.control(user_id, ChannelLeft(channel_id))
        if after is not None:
            self._announce(after, "member_removed", before, user_id=user_id)
            self._members_changed(after, user_id, False)
        else:
            self._bus.to_user(
                user_id,
                wire.frame(
                    "channel",
                    event="member_removed",
                    channel=wire.channel(channel),
                    user_id=user_id,
                ),
            )

    async def set_role(self, actor_id: str, channel_id: str, user_id: str, role: Role) -> None:
        actor = await self.member(channel_id, actor_id)
        if actor.role != "owner":
            raise forbidden("only the owner can change roles")
        if role not in ("admin", "member"):
            raise invalid("role must be admin or member")
        if user_id == actor_id:
            raise invalid("the owner's role passes on only when the owner leaves")
        await self._store.set_role(channel_id, user_id, role)

    # -- receipts and typing ---------------------------------------------------

    async def mark_read(self, user_id: str, channel_id: str, message_id: int) -> None:
        await self.member(channel_id, user_id)
        if not await self._store.mark_read(channel_id, user_id, message_id):
            raise not_found("no such message in this channel")
        data = wire.frame("read", channel_id=channel_id, user_id=user_id, message_id=message_id)
        await self._to_members(channel_id, data)

    async def typing(self, user_id: str, channel_id: str) -> None:
        """Relay a typing indicator; never stored. Past the rate limit it is dropped
        quietly: clients send one per keystroke and need no error for it."""
        if self._typing.take(f"{user_id}:{channel_id}"):
            return
        await self.member(channel_id, user_id)
        data = wire.frame("typing", channel_id=channel_id, user_id=user_id)
        # Marked with its sender, for every size of channel: the gateways hold it back
        # from members with a block between them and the typist, with no read here.
        await self._to_members(channel_id, data, exclude=user_id, sender=user_id)

    async def _to_members(
        self,
        channel_id: str,
        data: bytes,
        exclude: str | None = None,
        sender: str = "",
    ) -> None:
        channel = await self._store.get_channel(channel_id, with_members=False)
        if channel is None:
            return
        if channel.fanout == "read":
            self._bus.to_channel(channel_id, data, sender=sender)
            return
        ids = await self._store.member_ids(channel_id)
        if channel.kind == "direct" and not await self._friends.are_friends(*ids[:2]):
            # A direct channel closed by unfriending relays no typing or receipts either.
            return
        self._bus.to_users((m for m in ids if m != exclude), data, sender=sender)

    def _announce(
        self, channel: Channel, event: str, audience: tuple[str, ...] | list[str], **extra: str
    ) -> None:
        shown = channel
        if channel.fanout == "read":
            shown = Channel(
                channel.id,
                channel.kind,
                channel.name,
                channel.fanout,
                channel.member_count,
                channel.last_message_id,
                channel.created_at,
                None,
            )
            # Large groups: tell the connected members through the channel route.
            self._bus.to_channel(
                channel.id, wire.frame("channel", event=event, channel=wire.channel(shown), **extra)
            )
            for user_id in extra.values():
                self._bus.to_user(
                    user_id,
                    wire.frame("channel", event=event, channel=wire.channel(shown), **extra),
                )
            return
        self._bus.to_users(
            audience, wire.frame("channel", event=event, channel=wire.channel(shown), **extra)
        )
