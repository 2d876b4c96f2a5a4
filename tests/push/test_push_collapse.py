"""Pure collapse and backoff policy, with a fake clock."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from chinwag.clock import FakeClock
from chinwag.push.collapse import Collapser, backoff
from chinwag.push.notification import Notification, dumps, fit
from chinwag.push.result import parse_retry_after


def note(channel: str = "c1", count: int = 1, text: str | None = None) -> Notification:
    return Notification(channel, "u2", "Ann", count, text)


def test_burst_within_window_is_one_notification_with_summed_count() -> None:
    clock = FakeClock()
    bursts = Collapser(window=2.0)
    assert bursts.add("u1", note(text="one"), clock.monotonic()) is False
    clock.advance(1.0)
    assert bursts.add("u1", note(count=2, text="two"), clock.monotonic()) is True
    assert bursts.pop_due(clock.monotonic()) == []
    clock.advance(1.0)
    [burst] = bursts.pop_due(clock.monotonic())
    assert burst.user_id == "u1"
    assert burst.note == note(count=3, text="two")  # newest text, summed count
    assert len(bursts) == 0 and bursts.next_due() is None


def test_users_and_channels_collapse_separately() -> None:
    bursts = Collapser(window=1.0)
    bursts.add("u1", note("c1"), 0.0)
    bursts.add("u1", note("c2"), 0.5)
    bursts.add("u2", note("c1"), 0.5)
    assert bursts.next_due() == 1.0
    assert [(b.user_id, b.note.channel_id) for b in bursts.pop_due(1.0)] == [("u1", "c1")]
    assert len(bursts.pop_due(1.5)) == 2
    bursts.add("u1", note("c1"), 2.0)  # a new burst after the last one went out
    assert bursts.next_due() == 3.0


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.floats(0, 3))))
def test_counts_are_conserved_and_bursts_come_out_in_due_order(
    adds: list[tuple[str, str, float]],
) -> None:
    bursts, now, out = Collapser(window=2.0), 0.0, []
    for user, channel, step in adds:
        now += step
        out.extend(bursts.pop_due(now))
        bursts.add(user, note(channel), now)
    out.extend(bursts.pop_due(now + 2.0))
    assert sum(b.note.count for b in out) == len(adds)
    assert [b.due for b in out] == sorted(b.due for b in out)
    assert len(bursts) == 0


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    for retries in range(8):
        delay = backoff(retries, 1.0, 30.0, None, rng)
        step = min(30.0, 2.0**retries)
        assert step / 2 <= delay <= step
    assert backoff(0, 1.0, 30.0, 120.0, rng) == 120.0
    assert backoff(1000, 1.0, 30.0, None, rng) <= 30.0


@given(st.text(max_size=3000), st.text(max_size=300), st.integers(60, 2000))
def test_fit_keeps_ids_and_count_and_meets_the_budget(text: str, name: str, budget: int) -> None:
    original = Notification("c" * 20, "u" * 20, name, 7, text)
    fitted = fit(original, lambda n: len(dumps(n.to_dict())), budget + 100)
    assert len(dumps(fitted.to_dict())) <= budget + 100
    assert (fitted.channel_id, fitted.sender_id, fitted.count) == ("c" * 20, "u" * 20, 7)
    assert fitted.text is not None and original.text is not None
    cut = fitted.text != original.text
    assert (
        not cut
        or fitted.text == ""
        or (fitted.text.endswith("\u2026") and original.text.startswith(fitted.text[:-1]))
    )


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("99999999", now) == 86_400.0  # capped at a day
    for bad in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(bad, now) is None
