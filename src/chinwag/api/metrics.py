"""Prometheus metrics: request counts and latency by route and status, plus gauges the
app registers (connections, commits, presence changes). Owned by the app, not global."""

from __future__ import annotations

import bisect
from collections.abc import Callable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    __slots__ = ("counts", "sum", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0
        self.total = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.sum += value
        self.total += 1


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], Histogram] = {}
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        hist = self.requests.get(key)
        if hist is None:
            if len(self.requests) > 10_000:  # bounded label set
                return
            hist = self.requests[key] = Histogram()
        hist.observe(seconds)

    def gauge(self, name: str, help_: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help_, read)

    def render(self) -> str:
        out = [
            "# HELP chinwag_http_requests_total HTTP requests by route and status.",
            "# TYPE chinwag_http_requests_total counter",
        ]
        for (method, route, status), h in sorted(self.requests.items()):
            labels = f'method="{method}",route="{route}",status="{status}"'
            out.append(f"chinwag_http_requests_total{{{labels}}} {h.total}")
        out += [
            "# HELP chinwag_http_request_duration_seconds HTTP request latency.",
            "# TYPE chinwag_http_request_duration_seconds histogram",
        ]
        for (method, route, status), h in sorted(self.requests.items()):
            labels = f'method="{method}",route="{route}",status="{status}"'
            cumulative = 0
            for bound, count in zip((*BUCKETS, float("inf")), h.counts, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                bucket = f'{labels},le="{le}"'
                out.append(f"chinwag_http_request_duration_seconds_bucket{{{bucket}}} {cumulative}")
            out.append(f"chinwag_http_request_duration_seconds_sum{{{labels}}} {h.sum:.6f}")
            out.append(f"chinwag_http_request_duration_seconds_count{{{labels}}} {h.total}")
        for name, (help_, read) in sorted(self.gauges.items()):
            out += [f"# HELP {name} {help_}", f"# TYPE {name} gauge", f"{name} {read()}"]
        return "\n".join(out) + "\n"
