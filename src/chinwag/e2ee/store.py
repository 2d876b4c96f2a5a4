"""What the end-to-end encryption service needs from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.e2ee.models import Backup, BackupKey, ClaimedKey, SignedKey, ToDeviceEvent


class KeyStore(Protocol):
    async def related(self, user_id: str, others: list[str]) -> set[str]:
        """Those of `others` who are the user, a friend, or share a channel with them."""
        ...

    async def audience(self, user_id: str) -> list[str]:
        """Everyone who should hear about the user's devices: the user, their friends and
        the members of the encrypted channels they are in."""
        ...

    async def devices_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        """The devices (not logged out) of each user."""
        ...

    async def upload(
        self,
        user_id: str,
        device_id: str,
        device_keys: str | None,
        one_time: list[SignedKey],
        fallback: list[SignedKey],
        at: int,
        max_stored: int,
    ) -> tuple[dict[str, int], bool] | None:
        """Store what a device publishes, in one transaction: its device keys (replaced),
        new one-time keys (ids already stored are ignored) and fallback keys (one per
        algorithm, replaced). Returns (one-time key counts by algorithm, whether the
        device keys changed), or None, storing nothing, if the device would hold more
        than `max_stored` one-time keys."""
        ...

    async def key_counts(self, device_id: str) -> tuple[dict[str, int], list[str]]:
        """(one-time key counts by algorithm, algorithms with an unused fallback key)."""
        ...

    async def device_keys(self, user_ids: list[str]) -> list[tuple[str, str, str]]:
        """(user_id, device_id, device_keys JSON) of the users' devices not logged out."""
        ...

    async def claim(self, wanted: list[tuple[str, str, str]]) -> list[ClaimedKey]:
        """For each (user_id, device_id, algorithm): one one-time key, deleted as it is
        handed out (two concurrent claims never get the same key), else the device's
        fallback key for that algorithm (marked used), else nothing."""
        ...

    async def put_to_device(
        self,
        sender_id: str,
        sender_device: str,
        txn_id: str,
        event_type: str,
        messages: list[tuple[str, str]],
        at: int,
        *,
        max_pending: int,
        txn_keep_ms: int,
    ) -> list[tuple[str, int]] | None:
        """Queue (device_id, content) messages in one transaction, each at the next seq of
        its device's queue. None if this (sender_device, txn_id) was stored before. Raises
        `QueueFull` (nothing stored) if a target holds `max_pending` already."""
        ...

    async def to_device_after(
        self, device_id: str, after: int, limit: int
    ) -> list[ToDeviceEvent]: ...

    async def ack_to_device(self, device_id: str, upto: int) -> None:
        """Delete the device's queued messages up to `upto`."""
        ...

    async def get_backup(self, user_id: str) -> Backup | None: ...

    async def new_backup(self, user_id: str, algorithm: str, auth_data: str) -> int:
        """Start a new backup version (the previous one and its keys are dropped)."""
        ...

    async def put_backup_keys(
        self, user_id: str, version: int, keys: list[BackupKey], max_sessions: int
    ) -> int | None:
        """Add or replace keys of the current version; returns the number stored, or
        None if `version` is not current or the backup would pass `max_sessions`
        (nothing stored)."""
        ...

    async def backup_keys(self, user_id: str, version: int) -> list[BackupKey]: ...
