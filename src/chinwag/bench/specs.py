"""Who each socket is and what it does: the plan a worker process receives.

Plain Structs built by `plans` in the coordinator and sent to the workers, so a worker
never talks HTTP and needs nothing but these to run its part.
"""

from __future__ import annotations

import msgspec

from chinwag.bench.config import BenchConfig


class SendSpec(msgspec.Struct, frozen=True):
    """One sender: `count` messages to `channel_id`.

    Closed loop (`interval_ns` 0): keep `window` sends unacknowledged, send on each ack.
    Open loop: one send every `interval_ns`, the first `phase_ns` after the start, each
    stamped with its scheduled time so a late client cannot hide server latency."""

    channel_id: str
    count: int
    window: int = 1
    interval_ns: int = 0
    phase_ns: int = 0


class DeviceSpec(msgspec.Struct, frozen=True):
    """One device: its user, token, the channels whose every message it must receive, and
    the source address it connects from."""

    user_id: str
    token: str
    channels: list[str] = []
    send: SendSpec | None = None
    source: str = ""
    tag: str = ""  # short unique id for client_msg_ids


class ShardPlan(msgspec.Struct, frozen=True):
    """One worker's part of a run."""

    index: int
    mode: str  # "traffic" (pairs, rate, group), "idle" or "reconnect"
    config: BenchConfig
    devices: list[DeviceSpec]
