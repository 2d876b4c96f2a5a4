"""Ids, limits and records of the end-to-end encryption service.

Bodies follow Matrix's client-server API so that audited Matrix crypto libraries can run
unchanged on the clients; users appear there as `@<user_id>:chinwag`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

SERVER_NAME = "chinwag"
# The one-time and fallback key algorithms Olm clients publish.
KEY_ALGORITHMS = frozenset({"signed_curve25519", "curve25519"})


def matrix_id(user_id: str) -> str:
    return f"@{user_id}:{SERVER_NAME}"


def user_of(mxid: str) -> str | None:
    """The chinwag user id in a Matrix user id, or None if it is not one of ours."""
    suffix = ":" + SERVER_NAME
    if mxid.startswith("@") and mxid.endswith(suffix) and len(mxid) > len(suffix) + 1:
        return mxid[1 : -len(suffix)]
    return None


@dataclass(frozen=True, slots=True)
class KeyLimits:
    """Every store and request of this service is bounded by these."""

    max_key_bytes: int = 4096  # one signed key or device_keys object
    max_one_time_keys_per_upload: int = 100
    max_one_time_keys_stored: int = 200  # per device
    max_users_per_request: int = 1000
    max_devices_per_request: int = 2000
    max_content_bytes: int = 65536  # one to-device content
    max_pending_to_device: int = 2000  # per device, until acknowledged
    to_device_page: int = 500
    txn_keep_ms: int = 86_400_000  # how long a to-device txn_id is remembered
    max_backup_sessions_per_request: int = 1000
    max_backup_sessions: int = 100_000  # per user
    max_backup_body_bytes: int = 16384  # one backed-up session key (encrypted)


class DeviceKeysView(msgspec.Struct):
    """The fields of a Matrix `device_keys` object the server checks; the object itself is
    stored exactly as uploaded (its signatures cover every other field)."""

    user_id: str
    device_id: str
    algorithms: list[str]
    keys: dict[str, str]


@dataclass(frozen=True, slots=True)
class SignedKey:
    """A one-time or fallback key: `algorithm:id`, and its JSON as uploaded."""

    key_id: str
    algorithm: str
    body: str


@dataclass(frozen=True, slots=True)
class ClaimedKey:
    user_id: str
    device_id: str
    key_id: str
    body: str


@dataclass(frozen=True, slots=True)
class ToDeviceEvent:
    seq: int
    sender_id: str
    sender_device: str
    type: str
    content: str  # JSON as sent


@dataclass(frozen=True, slots=True)
class Backup:
    version: int
    algorithm: str
    auth_data: str  # JSON as sent
    count: int


@dataclass(frozen=True, slots=True)
class BackupKey:
    room_id: str
    session_id: str
    body: str  # JSON as sent: the session key encrypted to the backup's public key


class QueueFull(Exception):
    """A target device has too many unacknowledged to-device messages."""

    def __init__(self, device_id: str) -> None:
        super().__init__(device_id)
        self.device_id = device_id
