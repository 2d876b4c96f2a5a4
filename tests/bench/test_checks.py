"""The sequence checker classifies every anomaly exactly."""

from __future__ import annotations

from chinwag.bench.checks import SeqTrack
from chinwag.bench.frames import SendEncoder, stamp_of
from chinwag.bench.report import Checks


def test_in_order_is_clean() -> None:
    t = SeqTrack(10)
    for n in range(11, 21):
        assert t.see(n)
    assert t.clean and t.count == 10 and t.lost(20) == 0


def test_gap_then_late_arrival_is_out_of_order_not_lost() -> None:
    t = SeqTrack(0)
    for n in (1, 2, 4, 5, 3):
        t.see(n)
    assert t.late == 1 and t.holes == 0 and t.lost(5) == 0 and not t.clean


def test_duplicates_and_missing_tail() -> None:
    t = SeqTrack(0)
    for n in (1, 2, 2, 4):
        t.see(n)
    assert t.duplicates == 1
    assert t.lost(6) == 3  # 3 skipped, 5 and 6 never came


def test_checks_fail_on_any_anomaly() -> None:
    assert Checks().ok
    assert not Checks(lost=1).ok
    assert not Checks(errors={"rate_limited": 1}).ok


def test_send_frame_carries_its_stamp() -> None:
    frame = SendEncoder("c1", "d0", 32).frame(7, 123456789)
    assert frame.startswith(b'{"type":"send","channel_id":"c1","client_msg_id":"d0.7","text":"')
    text = frame.split(b'"text":"')[1][:-2].decode()
    assert len(text) == 32 and stamp_of(text) == 123456789
    assert stamp_of("missed message 3") == -1
