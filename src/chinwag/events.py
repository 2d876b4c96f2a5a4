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


@dataclass(frozen=True, slots=True)
class ForDevice:
    """A frame for one device of the user only (to-device messages)."""

    device_id: str
    data: bytes


@dataclass(frozen=True, slots=True)
class BlockChanged:
    """`blocker_id` blocked (or unblocked) `blocked_id`; sent to both users, so that the
    gateways holding their sockets stop (or resume) passing frames between them."""

    blocker_id: str
    blocked_id: str
    blocked: bool


Control = DeviceRevoked | ChannelJoined | ChannelLeft | ForDevice | BlockChanged


class Publisher(Protocol):
    """Publishing never blocks the caller and never raises for a slow or absent
    subscriber; callers publish only what is already durable."""

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None: ...

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None:
        """`sender`: the user the frame is from, for frames (typing, presence) that
        must not reach users with a block between them and the sender; the gateway
        filters them out, from sets it keeps per socket."""
        ...

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        """`sender`: as for `to_users`."""
        ...

    def control(self, user_id: str, event: Control) -> None: ...

    def push(self, data: bytes) -> None:
        """Hand a push event to one push worker (whichever process runs that role)."""
        ...
