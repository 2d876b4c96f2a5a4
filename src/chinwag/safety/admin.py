"""Server admins: finding, deactivating and reactivating accounts, reading reports.

The HTTP routes name an acting user, who must be a server admin (403 otherwise, and
nothing changes); the `chinwag admin` command acts as the operator, with no actor."""

from __future__ import annotations

import logging

from chinwag.clock import Clock, now_ms
from chinwag.errors import forbidden, not_found
from chinwag.events import DeviceRevoked, Publisher
from chinwag.safety.lifecycle import DeviceLists
from chinwag.safety.models import AdminView, Report
from chinwag.safety.store import SafetyStore

log = logging.getLogger("chinwag.admin")

MAX_FOUND = 50
MAX_REPORTS = 200


class AdminService:
    def __init__(
        self,
        store: SafetyStore,
        bus: Publisher,
        clock: Clock,
        device_lists: DeviceLists | None = None,
    ) -> None:
        """`device_lists` is None where the revocation watch tells about the devices
        instead (no cluster bus: safety/revocations.py)."""
        self._store = store
        self._device_lists = device_lists
        self._bus = bus
        self._clock = clock

    async def is_admin(self, user_id: str) -> bool:
        standing = await self._store.standing(user_id)
        return standing is not None and standing.is_admin

    async def require_admin(self, user_id: str) -> None:
        if not await self.is_admin(user_id):
            raise forbidden("only the server's admins may do this")

    # -- as an admin over HTTP -------------------------------------------------

    async def find(self, actor_id: str, prefix: str) -> list[AdminView]:
        await self.require_admin(actor_id)
        return await self._store.find_accounts(prefix, MAX_FOUND)

    async def reports(self, actor_id: str) -> list[Report]:
        await self.require_admin(actor_id)
        return await self._store.reports(MAX_REPORTS)

    async def deactivate_as(self, actor_id: str, user_id: str) -> None:
        await self.require_admin(actor_id)
        await self.deactivate(user_id)

    async def reactivate_as(self, actor_id: str, user_id: str) -> None:
        await self.require_admin(actor_id)
        await self.reactivate(user_id)

    # -- as the operator -------------------------------------------------------

    async def _existing(self, user_id: str) -> None:
        standing = await self._store.standing(user_id)
        if standing is None or standing.deleted_at is not None:
            raise not_found("no such user")

    async def find_accounts(self, prefix: str) -> list[AdminView]:
        return await self._store.find_accounts(prefix, MAX_FOUND)

    async def set_admin(self, user_id: str, admin: bool) -> None:
        await self._existing(user_id)
        await self._store.set_admin(user_id, admin)
        log.info("admin " + ("granted" if admin else "revoked"), extra={"user_id": user_id})

    async def deactivate(self, user_id: str) -> None:
        """Refuse the account's logins and revoke every device; their sockets close with
        4001 on whichever gateway holds them, and those who encrypt to the devices get
        `device_lists`."""
        await self._existing(user_id)
        revoked = await self._store.set_deactivated(user_id, now_ms(self._clock))
        for device_id in revoked:
            self._bus.control(user_id, DeviceRevoked(device_id))
        if revoked and self._device_lists is not None:
            audience = await self._device_lists.audience(user_id)
            self._device_lists.devices_changed(user_id, audience)
        log.info("deactivated", extra={"user_id": user_id})

    async def reactivate(self, user_id: str) -> None:
        """No device comes back (the user logs in again), so no `device_lists` here: a
        new device's key upload sends it."""
        await self._existing(user_id)
        await self._store.set_deactivated(user_id, None)
        log.info("reactivated", extra={"user_id": user_id})
