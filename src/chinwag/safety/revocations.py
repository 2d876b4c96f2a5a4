"""Closing the sockets of devices revoked by another process that shares the store but
no bus with this one: `chinwag admin deactivate` beside a single server (SQLite, or
PostgreSQL without NATS). The store keeps a notice per device that deactivation
revokes, in the same transaction; this watch reads those past its cursor every
`interval` seconds (one indexed query) and publishes `DeviceRevoked` for each, which
the local gateway turns into 4001 closes. With NATS no watch runs: the command
publishes on the cluster's bus itself.
"""

from __future__ import annotations

import asyncio
import logging

from chinwag.events import DeviceRevoked, Publisher
from chinwag.safety.store import SafetyStore

log = logging.getLogger("chinwag.revocations")

INTERVAL = 0.5
PAGE = 500


class RevocationWatch:
    def __init__(self, store: SafetyStore, bus: Publisher, interval: float = INTERVAL) -> None:
        self._store = store
        self._bus = bus
        self._interval = interval
        self._cursor: int | None = None

    async def start(self) -> None:
        """Notices from before this process started are no concern: it had no socket."""
        self._cursor = await self._store.revocation_head()

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.poll()
            except Exception:
                log.warning("could not read revocation notices", exc_info=True)

    async def poll(self) -> None:
        if self._cursor is None:
            await self.start()
            return
        while True:
            page = await self._store.revocations_after(self._cursor, PAGE)
            for seq, user_id, device_id in page:
                self._bus.control(user_id, DeviceRevoked(device_id))
                self._cursor = seq
            if len(page) < PAGE:
                return
