"""Burst collapsing and retry timing for the push worker, as pure policy without I/O.

Guarantees: within `window` seconds of the first notification of a (user, channel) pair,
every further one merges into it, so a burst of messages becomes one notification whose
count is the sum; bursts come out in the order they became due. Backoff delays grow
exponentially, are jittered, and are never shorter than a provider's Retry-After.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from chinwag.push.notification import Notification

BurstKey = tuple[str, str]  # (user_id, channel_id)


@dataclass(slots=True)
class Burst:
    user_id: str
    note: Notification
    due: float


class Collapser:
    """Pending bursts keyed by (user, channel); time is whatever monotonic clock is passed."""

    def __init__(self, window: float) -> None:
        self._window = max(0.0, window)
        # Every burst waits the same window, so insertion order is due order and the
        # dict's front is always the next one due.
        self._bursts: dict[BurstKey, Burst] = {}

    def __len__(self) -> int:
        return len(self._bursts)

    def __contains__(self, key: BurstKey) -> bool:
        return key in self._bursts

    def add(self, user_id: str, note: Notification, now: float) -> bool:
        """Merge into a pending burst (True) or start a new one due after the window (False)."""
        key = (user_id, note.channel_id)
        burst = self._bursts.get(key)
        if burst is not None:
            burst.note = burst.note.merged(note)
            return True
        self._bursts[key] = Burst(user_id, note, now + self._window)
        return False

    def pop_due(self, now: float) -> list[Burst]:
        due: list[Burst] = []
        for burst in self._bursts.values():
            if burst.due > now:
                break
            due.append(burst)
        for burst in due:
            del self._bursts[(burst.user_id, burst.note.channel_id)]
        return due

    def next_due(self) -> float | None:
        return next(iter(self._bursts.values())).due if self._bursts else None

    def clear(self) -> None:
        self._bursts.clear()


def backoff(
    retries: int, base: float, cap: float, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds before retry number `retries + 1`.

    "Equal jitter": half the exponential step is kept and half is random, so clients
    that failed together spread out yet none retries almost at once.
    """
    step = min(cap, base * 2.0 ** min(retries, 64))  # the exponent cap avoids float overflow
    delay = step / 2 + rng.uniform(0.0, step / 2)
    return delay if retry_after is None else max(delay, retry_after)
