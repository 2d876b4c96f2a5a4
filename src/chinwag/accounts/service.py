"""Signup, login, logout, token authentication and profiles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chinwag.accounts import rules
from chinwag.accounts.gate import AccountGate
from chinwag.accounts.models import Device, NewUser, ProfileChanges, User
from chinwag.accounts.passwords import Passwords
from chinwag.accounts.store import AccountStore
from chinwag.accounts.tokens import token_hash
from chinwag.clock import Clock, now_ms
from chinwag.errors import conflict, forbidden, not_found, rate_limited, unauthorized
from chinwag.events import DeviceRevoked, Publisher
from chinwag.ids import new_id, new_token
from chinwag.ratelimit import RateLimiter

log = logging.getLogger("chinwag.accounts")


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    device: Device
    user: User


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account_per_min: int
    per_address_per_min: int
    signups_per_address_per_min: int


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        passwords: Passwords,
        bus: Publisher,
        clock: Clock,
        limits: LoginLimits,
        gate: AccountGate | None = None,
    ) -> None:
        self._store = store
        self._gate = gate
        self._passwords = passwords
        self._bus = bus
        self._clock = clock
        self._by_account = RateLimiter.per_minute(limits.per_account_per_min, clock)
        self._by_address = RateLimiter.per_minute(limits.per_address_per_min, clock)
        self._signups = RateLimiter.per_minute(limits.signups_per_address_per_min, clock)

    async def signup(
        self, username: str, password: str, display_name: str | None, address: str
    ) -> User:
        rules.check_username(username)
        rules.check_password(password)
        name = rules.check_display_name(display_name if display_name is not None else username)
        wait = self._signups.take(address)
        if wait:
            raise rate_limited(wait)
        if self._gate is not None and await self._gate.username_held(username):
            raise conflict("username is taken")
        password_hash = await self._passwords.hash(password)
        user = NewUser(new_id("u"), username, password_hash, name, now_ms(self._clock))
        created = await self._store.create_user(user)
        log.info("signup", extra={"user_id": created.id})
        return created

    async def login(
        self, username: str, password: str, device_name: str | None, address: str
    ) -> Session:
        # Both limits are charged before any password work, so a flood costs no argon2.
        wait = max(self._by_address.take(address), self._by_account.take(username.lower()))
        if wait:
            raise rate_limited(wait)
        found = await self._store.password_hash(username) if len(username) <= 64 else None
        ok = await self._passwords.verify(found[1] if found else None, password[:1024])
        if found is None or not ok:
            raise unauthorized("wrong username or password")
        user_id = found[0]
        user = await self._store.get_user(user_id)
        if user is None:
            raise unauthorized("wrong username or password")
        refusal = await self._gate.login_refusal(user_id) if self._gate is not None else None
        if refusal is not None:
            raise forbidden(refusal)
        token = new_token()
        device = Device(
            new_id("d"), user_id, rules.check_device_name(device_name or ""), now_ms(self._clock)
        )
        await self._store.create_device(device, token_hash(token))
        log.info("login", extra={"user_id": user_id, "device_id": device.id})
        return Session(token, device, user)

    async def authenticate(self, token: str) -> Device:
        if not token or len(token) > 256:
            raise unauthorized()
        device = await self._store.device_for_token(token_hash(token))
        if device is None:
            raise unauthorized()
        if self._gate is not None:
            await self._gate.device_seen(device.id)
        return device

    async def logout(self, device: Device) -> None:
        await self._store.revoke_device(device.id, now_ms(self._clock))
        self._bus.control(device.user_id, DeviceRevoked(device.id))
        log.info("logout", extra={"user_id": device.user_id, "device_id": device.id})

    async def change_password(
        self, device: Device, current: str, new: str, address: str
    ) -> list[str]:
        """Change the password and revoke every other device (their sockets close);
        returns the ids of the devices revoked.

        Checking `current` is a password guess like a login: it is charged to the same
        per-account and per-address limits, before any argon2 work, so a stolen token
        cannot guess the password faster than logins could, nor tie up the hash pool."""
        rules.check_password(new)
        await self.check_password(device.user_id, current, address)
        await self._store.set_password_hash(device.user_id, await self._passwords.hash(new))
        revoked = await self._store.revoke_user_devices(
            device.user_id, now_ms(self._clock), keep=device.id
        )
        for device_id in revoked:
            self._bus.control(device.user_id, DeviceRevoked(device_id))
        return revoked

    async def check_password(self, user_id: str, password: str, address: str) -> None:
        """Raise unless `password` is the user's. A guess like a login: charged to the
        same per-account and per-address limits, before any argon2 work, so a stolen
        token cannot guess the password faster than logins could."""
        user = await self._store.get_user(user_id)
        if user is None:
            raise unauthorized("current password is wrong")
        wait = max(self._by_address.take(address), self._by_account.take(user.username.lower()))
        if wait:
            raise rate_limited(wait)
        found = await self._store.password_hash(user.username)
        if len(password) > rules.MAX_PASSWORD:
            found = None  # longer than any password can be: wrong, without hashing it
        if found is None or not await self._passwords.verify(found[1], password):
            raise unauthorized("current password is wrong")

    async def get_user(self, user_id: str) -> User:
        user = await self._store.get_user(user_id)
        if user is None:
            raise not_found("no such user")
        return user

    async def find_user(self, username: str) -> User | None:
        if not rules.USERNAME.fullmatch(username.lower()):
            return None
        return await self._store.find_user(username)

    async def users(self, user_ids: list[str]) -> list[User]:
        return await self._store.get_users(user_ids)

    async def update_profile(self, user_id: str, changes: ProfileChanges) -> User:
        checked = ProfileChanges(
            display_name=None
            if changes.display_name is None
            else rules.check_display_name(changes.display_name),
            avatar_id=rules.check_avatar(changes.avatar_id, changes.avatar_url),
            status_text=None
            if changes.status_text is None
            else rules.check_status_text(changes.status_text),
            group_adds=changes.group_adds,
        )
        return await self._store.update_profile(user_id, checked)

    async def touch_last_active(self, user_id: str, at: int) -> None:
        await self._store.touch_last_active(user_id, at)
