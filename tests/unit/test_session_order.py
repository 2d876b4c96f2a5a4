"""`Order`, the one place frames are put in sequence: pure, no session around it."""

from __future__ import annotations

from chinwag.gateway.session import Order


def offered(order: Order, n: int) -> list[bytes]:
    out: list[bytes] = []
    order.offer(n, str(n).encode(), out)
    return out


def test_in_order_passes_and_old_ones_drop() -> None:
    o = Order()
    o.start(4, [])
    assert offered(o, 5) == [b"5"] and offered(o, 6) == [b"6"]
    assert offered(o, 6) == [] and offered(o, 3) == []  # duplicates and old ones


def test_out_of_order_is_reordered() -> None:
    o = Order()
    o.start(0, [])
    assert offered(o, 2) == [] and o.ahead
    assert o.missing() == (0, 1)
    assert offered(o, 1) == [b"1", b"2"] and not o.ahead and o.held_bytes == 0


def test_gap_filled_piecewise() -> None:
    o = Order()
    o.start(10, [])
    offered(o, 13)
    offered(o, 15)
    assert o.missing() == (10, 12)
    assert offered(o, 11) + offered(o, 12) == [b"11", b"12", b"13"]
    assert o.missing() == (13, 14)
    assert offered(o, 14) == [b"14", b"15"] and not o.ahead


def test_unstarted_holds_everything_until_start() -> None:
    o = Order()
    assert offered(o, 7) == [] and offered(o, 9) == [] and offered(o, 5) == []
    assert o.missing() is None  # where the device stands is not known yet
    assert o.held_bytes == 3
    out: list[bytes] = []
    o.start(6, out)  # 5 was already replayed; 8 is still missing
    assert out == [b"7"] and o.missing() == (7, 8) and o.held_bytes == 1


def test_stop_holds_again() -> None:
    o = Order()
    o.start(0, [])
    assert offered(o, 1) == [b"1"]
    o.stop()
    assert offered(o, 2) == []
    out: list[bytes] = []
    o.start(1, out)
    assert out == [b"2"]


def test_give_up_releases_held() -> None:
    o = Order()
    o.start(0, [])
    offered(o, 3)
    offered(o, 4)
    out: list[bytes] = []
    o.give_up(out)
    assert out == [b"3", b"4"] and o.next == 5
