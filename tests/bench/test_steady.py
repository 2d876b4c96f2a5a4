"""The steady-state figures of a run's timeline: best and last 10-second rates, and the
server's CPU per message at the start and at the end."""

from __future__ import annotations

from chinwag.bench.progress import Point, steady


def _timeline(rates: list[int], cpu_pct: float = 50.0) -> list[Point]:
    points, delivered = [], 0
    for t, rate in enumerate(rates, start=1):
        delivered += rate
        points.append(Point(float(t), delivered, delivered, delivered, 2, 0, float(rate), 0.0,
                            cpu_pct, 80.0, 100.0, float(t % 3), 150.0))  # fmt: skip
    return points


def test_a_rate_that_holds() -> None:
    # 30 seconds at 1,000/s, then the tail of the run (the last senders finishing).
    out = steady(_timeline([1000] * 30 + [200]))
    assert out["rate_best_10s"] == out["rate_last_10s"] == 1000.0
    assert out["last_over_best"] == 1.0
    assert out["server_us_per_msg_first_10s"] == out["server_us_per_msg_last_10s"] == 500.0
    assert out["wal_mib_max"] == 2.0 and out["machine_pct_avg"] == 150.0


def test_a_rate_that_halves() -> None:
    out = steady(_timeline([1000] * 15 + [500] * 15 + [100]))
    assert out["rate_best_10s"] == 1000.0 and out["rate_last_10s"] == 500.0
    assert out["last_over_best"] == 0.5
    # The same server CPU for half the messages: twice the cost per message.
    assert out["server_us_per_msg_last_10s"] == 2 * out["server_us_per_msg_first_10s"]


def test_too_short_for_a_window() -> None:
    assert steady(_timeline([1000] * 5)) == {}
