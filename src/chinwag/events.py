"""What the services publish after a commit, and the port they publish through.

Neutral ground between the domains, which publish, and the bus engines and the gateway,
which carry and deliver: neither side imports the other. `bus.base.Bus` is this
`Publisher` plus what a gateway needs to subscribe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DeviceRevoked:
    device_id: str


@dataclass(frozen=True, slots=True)
class ChannelJoined:
    channel_id: str
    large: bool


@dataclass(frozen=True, slots=True)
class ChannelLeft:
    channel_id: str


Control = DeviceRevoked | ChannelJoined | ChannelLeft


class Publisher(Protocol):
    """Publishing never blocks the caller and never raises for a slow or absent
    subscriber; callers publish only what is already durable."""

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None: ...

    def to_users(self, user_ids: Iterable[str], data: bytes) -> None: ...

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0) -> None: ...

    def control(self, user_id: str, event: Control) -> None: ...

    def push(self, data: bytes) -> None:
        """Hand a push event to one push worker (whichever process runs that role)."""
        ...
