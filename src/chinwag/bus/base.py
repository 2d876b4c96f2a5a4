"""The bus: how a committed event reaches the gateways holding the recipients' sockets.

Guarantees every implementation gives:
- Publishing never blocks the caller and never raises for a slow or absent subscriber;
  a dropped frame is repaired by the device's cursor (frames), or by the next state
  lookup (presence).
- Frames to one user (or one large group) from one publisher arrive in publish order.
- Nothing is published before it is durable: callers publish after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# The events are re-exported here for the gateway, which receives them from the bus.
from chinwag.events import (
    BlockChanged,
    ChannelJoined,
    ChannelLeft,
    Control,
    DeviceRevoked,
    ForDevice,
    Publisher,
)

__all__ = [
    "BlockChanged",
    "Bus",
    "BusSink",
    "ChannelJoined",
    "ChannelLeft",
    "Control",
    "DeviceRevoked",
    "ForDevice",
]


class BusSink(Protocol):
    """Implemented by a gateway: where bus traffic for its connected users lands."""

    def deliver_user(self, user_id: str, data: bytes, seq: int, sender: str = "") -> None:
        """`seq` is the user's inbox seq carried by a message frame, else 0; `sender`
        the user a typing or presence frame is from (Publisher.to_users), else ""."""
        ...

    def deliver_channel(self, channel_id: str, data: bytes, seq: int, sender: str = "") -> None:
        """`seq` is the message_id of a large group's message frame, else 0."""
        ...

    def control(self, user_id: str, event: Control) -> None: ...


class Bus(Publisher, Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def attach(self, sink: BusSink) -> None:
        """Register this process's gateway (at most one)."""
        ...

    def watch_user(self, user_id: str) -> None:
        """The gateway holds a socket of this user: route their traffic here."""
        ...

    def unwatch_user(self, user_id: str) -> None: ...

    def watch_channel(self, channel_id: str) -> None: ...

    def unwatch_channel(self, channel_id: str) -> None: ...

    def on_push(self, handler: Callable[[bytes], None]) -> None:
        """Receive push events here (the push role); each event reaches one handler."""
        ...
