"""Token-bucket rate limits keyed by account, address or user; pure given a clock.

Memory is bounded: idle buckets (full again) are forgotten when the table grows past
`max_keys`, and if every key is busy the oldest are dropped, which can only make the
limiter more lenient, never block a caller forever.
"""

from __future__ import annotations

from chinwag.clock import Clock


class RateLimiter:
    def __init__(self, rate: float, burst: float, clock: Clock, *, max_keys: int = 100_000):
        """`rate` tokens per second, up to `burst` saved."""
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    @classmethod
    def per_minute(cls, count: int, clock: Clock) -> RateLimiter:
        return cls(count / 60.0, float(count), clock)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend `cost` tokens; returns 0 when allowed, else seconds until it would be."""
        now = self._clock.monotonic()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            if len(self._buckets) > self._max_keys:
                self._sweep(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (cost - tokens) / self.rate if self.rate > 0 else float("inf")

    def reset(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _sweep(self, now: float) -> None:
        full = [
            k
            for k, (t, last) in self._buckets.items()
            if t + (now - last) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self._max_keys:
            for k in list(self._buckets)[: len(self._buckets) - self._max_keys]:
                del self._buckets[k]
