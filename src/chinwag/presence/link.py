"""The port cluster presence talks through: what one process sends the others.

`presence/cluster.py` is this port's user; `bus/nats_presence.py` carries it over NATS.
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class Batch(msgspec.Struct, frozen=True, tag="batch"):
    epoch: str
    seq: int
    on: list[str]
    off: list[str]


class Beat(msgspec.Struct, frozen=True, tag="beat"):
    epoch: str
    seq: int
    ready: bool


class Snapshot(msgspec.Struct, frozen=True):
    """A gateway's online users as of its batch `seq`."""

    epoch: str
    seq: int
    users: list[str]


class PresencePeer(Protocol):
    """What a link calls into: this process's side of cluster presence."""

    def on_batch(self, gateway_id: str, batch: Batch) -> None: ...
    def on_beat(self, gateway_id: str, beat: Beat) -> None: ...
    def on_hello(self) -> None: ...
    def on_reconnect(self) -> None: ...
    def snapshot(self) -> Snapshot: ...


class PresenceLink(Protocol):
    """Carries presence between processes. Sends never block nor raise (they may be
    lost: gaps are found by sequence number and repaired by snapshots)."""

    @property
    def connected(self) -> bool: ...
    async def start(self, peer: PresencePeer) -> None: ...
    async def close(self) -> None: ...
    def send_batch(self, batch: Batch) -> None: ...
    def send_beat(self, beat: Beat) -> None: ...
    def send_hello(self) -> None: ...
    async def fetch_snapshot(self, gateway_id: str) -> Snapshot | None: ...
