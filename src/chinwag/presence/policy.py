"""Presence policy as pure functions of state and `now` (monotonic seconds).

A user is online while at least one device is connected and has sent a frame within
`timeout`. After the last device closes cleanly the user stays online for `grace`, so
a quick reconnect causes no offline/online flap. A device that goes silent with its
socket open (a dropped network, a frozen app) counts until `timeout` passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timings:
    timeout: float
    grace: float


def is_online(heartbeats: Iterable[float], closed_at: float | None, now: float, t: Timings) -> bool:
    """`heartbeats`: last frame time of each open socket; `closed_at`: when the last
    socket closed cleanly (None if it did not, or sockets are open)."""
    if any(now - hb < t.timeout for hb in heartbeats):
        return True
    return closed_at is not None and now - closed_at < t.grace


def next_deadline(heartbeats: Iterable[float], closed_at: float | None, t: Timings) -> float | None:
    """The moment `is_online` would next turn false if nothing else happened."""
    candidates = [hb + t.timeout for hb in heartbeats]
    if closed_at is not None:
        candidates.append(closed_at + t.grace)
    return max(candidates) if candidates else None
