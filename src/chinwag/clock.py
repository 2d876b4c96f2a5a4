"""Time, injected wherever it matters so policies can be tested with a fake clock."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch (for stored timestamps)."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds (for timeouts and rate limits)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to; for tests of pure policies."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds


def now_ms(clock: Clock) -> int:
    return int(clock.now() * 1000)


def rfc3339(ms: int) -> str:
    """Milliseconds since the epoch as an RFC 3339 UTC string (millisecond precision).
    On every message's path, so formatted from gmtime rather than through datetime."""
    t = time.gmtime(ms // 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - fastest here
        t.tm_year,
        t.tm_mon,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
        ms % 1000,
    )


_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))


class Stamps:
    """`rfc3339` for times that mostly come in order, as a message's do on its way out:
    the date and time of the last second formatted are kept, so most calls only add the
    milliseconds (formatting through gmtime costs ~2 us, twice a message). One per
    owner, used from one thread."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second: int | None = None
        self._prefix = ""

    def __call__(self, ms: int) -> str:
        second, milli = divmod(ms, 1000)
        if second != self._second:
            self._prefix = rfc3339(second * 1000)[:-5]  # without ".mmmZ"
            self._second = second
        return self._prefix + _MILLIS[milli]
