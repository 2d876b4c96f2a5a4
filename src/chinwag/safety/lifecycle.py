"""The account lifecycle: devices, login standing, export and deletion."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol

import msgspec

from chinwag import wire
from chinwag.accounts.models import Device
from chinwag.accounts.service import AccountService
from chinwag.channels.service import ChannelService
from chinwag.clock import Clock, now_ms
from chinwag.errors import not_found
from chinwag.events import DeviceRevoked, Publisher
from chinwag.friends.store import FriendStore
from chinwag.push.store import PushStore
from chinwag.safety.models import DeviceInfo
from chinwag.safety.store import SafetyStore

log = logging.getLogger("chinwag.lifecycle")

EXPORT_PAGE = 1000
DEACTIVATED = "this account has been deactivated by the server's admins"
# Device activity is written at most this often per device (a write per request is waste).
SEEN_EVERY_MS = 60_000
SEEN_TRACKED = 100_000


class Gate:
    """Implements accounts.gate.AccountGate on the safety store."""

    def __init__(self, store: SafetyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._seen: dict[str, int] = {}  # device_id -> when last written (bounded)

    async def login_refusal(self, user_id: str) -> str | None:
        standing = await self._store.standing(user_id)
        if standing is not None and standing.deactivated_at is not None:
            return DEACTIVATED
        return None

    async def username_held(self, username: str) -> bool:
        return await self._store.username_held(username.lower(), now_ms(self._clock))

    async def device_seen(self, device_id: str) -> None:
        at = now_ms(self._clock)
        last = self._seen.get(device_id)
        if last is not None and at - last < SEEN_EVERY_MS:
            return
        if len(self._seen) >= SEEN_TRACKED:
            self._seen.clear()
        self._seen[device_id] = at
        await self._store.touch_device(device_id, at)


class DeviceLists(Protocol):
    """The device-list notices of end-to-end encryption (e2ee/service.py)."""

    async def audience(self, user_id: str) -> list[str]: ...

    def devices_changed(self, user_id: str, audience: Iterable[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class Stores:
    safety: SafetyStore
    friends: FriendStore
    push: PushStore


class LifecycleService:
    def __init__(
        self,
        stores: Stores,
        accounts: AccountService,
        channels: ChannelService,
        bus: Publisher,
        clock: Clock,
        *,
        username_hold_seconds: float,
        device_lists: DeviceLists | None = None,
    ) -> None:
        self._stores = stores
        self._device_lists = device_lists
        self._accounts = accounts
        self._channels = channels
        self._bus = bus
        self._clock = clock
        self._hold_ms = int(username_hold_seconds * 1000)

    # -- devices ---------------------------------------------------------------

    async def devices(self, user_id: str) -> list[DeviceInfo]:
        return await self._stores.safety.devices_of(user_id)

    async def log_out_device(self, user_id: str, device_id: str) -> None:
        """Revoke one of the user's devices: its token stops working at once and its
        sockets close with 4001 on every gateway. Another user's device is 404."""
        if not await self._stores.safety.revoke_own_device(user_id, device_id, now_ms(self._clock)):
            raise not_found("no such device")
        self._bus.control(user_id, DeviceRevoked(device_id))
        await self._stores.push.delete_device_subscriptions(device_id)
        await self.devices_changed(user_id)
        log.info("device logged out", extra={"user_id": user_id, "device_id": device_id})

    async def devices_changed(self, user_id: str) -> None:
        """After devices of the user were logged out: those who encrypt to them (the
        user's other devices, friends, members of their encrypted channels) get
        `device_lists`, so they stop encrypting to the devices that are gone."""
        if self._device_lists is not None:
            audience = await self._device_lists.audience(user_id)
            self._device_lists.devices_changed(user_id, audience)

    # -- deletion --------------------------------------------------------------

    async def delete_account(self, device: Device, password: str, address: str) -> None:
        """Erase the account (see SafetyStore.erase_account), then leave every group: a
        group's ownership passes as when its owner leaves. Messages stay, from a user
        with no profile."""
        user_id = device.user_id
        await self._accounts.check_password(user_id, password, address)
        at = now_ms(self._clock)
        # Read first: erasing ends the friendships that make part of it.
        audience = await self._device_lists.audience(user_id) if self._device_lists else []
        erased = await self._stores.safety.erase_account(user_id, at, at + self._hold_ms)
        for device_id in erased.revoked_devices:
            self._bus.control(user_id, DeviceRevoked(device_id))
        gone = await self._accounts.get_user(user_id)
        for friend in erased.former_friends:
            self._bus.to_user(friend, wire.frame("friend", event="removed", user=wire.user(gone)))
        # Direct channels keep both members, so the other side keeps the conversation
        # (closed to new messages, with the friendship gone).
        for view in await self._channels.list_for(user_id):
            if view.channel.kind == "group":
                await self._channels.remove_member(user_id, view.channel.id, user_id)
        if self._device_lists is not None:
            self._device_lists.devices_changed(user_id, (u for u in audience if u != user_id))
        log.info("account deleted", extra={"user_id": user_id})

    # -- export ----------------------------------------------------------------

    async def export(self, user_id: str) -> AsyncIterator[bytes]:
        """The user's data as one JSON object, produced piece by piece: messages are read
        a page at a time, so memory stays flat however many there are."""
        enc = msgspec.json.Encoder()
        me = await self._accounts.get_user(user_id)
        friend_ids = await self._stores.friends.friend_ids(user_id)
        friends = await self._accounts.users(friend_ids)
        views = await self._channels.list_for(user_id)
        yield (
            b'{"profile":'
            + enc.encode(wire.me(me))
            + b',"friends":'
            + enc.encode([wire.user(u) for u in friends])
            + b',"channels":'
            + enc.encode([wire.channel_view(v) for v in views])
            + b',"messages":['
        )
        first = True
        for view in views:
            after = 0
            while True:
                page = await self._stores.safety.own_messages(
                    user_id, view.channel.id, after, EXPORT_PAGE
                )
                if not page:
                    break
                body = b",".join(enc.encode(wire.message(m)) for m in page)
                yield body if first else b"," + body
                first = False
                after = page[-1].message_id
                if len(page) < EXPORT_PAGE:
                    break
        yield b"]}"
