from __future__ import annotations

from chinwag.gateway.sequencer import Sequencer


def test_in_order_passes() -> None:
    s = Sequencer()
    s.start(4)
    assert s.offer(5, b"5") == [b"5"] and s.offer(6, b"6") == [b"6"]
    assert s.offer(6, b"6") == [] and s.offer(3, b"3") == []  # duplicates and old ones


def test_out_of_order_is_reordered() -> None:
    s = Sequencer()
    s.start(0)
    assert s.offer(2, b"2") == [] and s.waiting
    assert s.missing() == (0, 1)
    assert s.offer(1, b"1") == [b"1", b"2"] and not s.waiting


def test_gap_filled_from_storage() -> None:
    s = Sequencer()
    s.start(10)
    s.offer(13, b"13")
    s.offer(15, b"15")
    assert s.missing() == (10, 12)
    assert s.fill([(11, b"11"), (12, b"12")]) == [b"11", b"12", b"13"]
    assert s.missing() == (13, 14)
    assert s.fill([(14, b"14")]) == [b"14", b"15"] and not s.waiting


def test_unstarted_passes_everything() -> None:
    s = Sequencer()
    assert s.offer(7, b"7") == [b"7"]


def test_overflow_reported() -> None:
    s = Sequencer(max_ahead=2)
    s.start(0)
    for i in range(2, 6):
        s.offer(i, b"x")
    assert s.overflowing


def test_give_up_releases_held() -> None:
    s = Sequencer()
    s.start(0)
    s.offer(3, b"3")
    s.offer(4, b"4")
    assert s.give_up() == [b"3", b"4"] and s.next == 5
