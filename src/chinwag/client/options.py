"""Tunables of a `ChatSession`, and the reconnect backoff they drive."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionOptions:
    """Limits and timings of a `ChatSession`; every bound on its memory is here."""

    queue_size: int = 1000
    """Events waiting for the consumer. Past it, messages are fetched again later
    (see `ChatSession`) and ephemeral events (presence, typing) are dropped."""
    outbox_size: int = 1000
    """Unacknowledged sends; `send` waits for room past it."""
    frame_buffer: int = 512
    """Received frames not yet processed; past it the socket stops being read."""
    remember: int = 10_000
    """Recent (channel, message id) pairs kept to drop duplicate deliveries."""
    connect_timeout: float = 10.0
    welcome_timeout: float = 10.0
    max_frame_bytes: int = 1 << 20
    """The contract's frame limit; larger sends are refused before they are sent."""
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_factor: float = 2.0
    rate_limited_wait: float = 5.0
    """Least wait before reconnecting after the server closed with 4008."""
    reset_history: int = 50
    """Messages fetched per channel after a `reset` (at most 200, the page limit)."""
    catchup_limit: int = 2000
    """Most messages of one large group fetched on reconnect before giving up on the
    gap and fetching only its newest page."""


class Backoff:
    """Exponential backoff with "equal jitter": each wait is between half and all of
    the current step, so waits grow, never reach zero, and clients that lost the same
    server do not come back in lockstep."""

    def __init__(self, options: SessionOptions, rng: random.Random) -> None:
        self._initial = options.backoff_initial
        self._max = options.backoff_max
        self._factor = options.backoff_factor
        self._rng = rng
        self._attempt = 0

    def next(self) -> float:
        step = min(self._max, self._initial * self._factor**self._attempt)
        self._attempt += 1
        return step / 2 + self._rng.uniform(0, step / 2)

    def reset(self) -> None:
        self._attempt = 0
