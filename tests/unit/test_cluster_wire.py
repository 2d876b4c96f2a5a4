"""The bus envelope, seq reordering and snapshot splitting: pure, no NATS."""

from __future__ import annotations

import pytest

from chinwag.bus import envelope
from chinwag.bus.base import ChannelJoined, ChannelLeft, DeviceRevoked
from chinwag.bus.envelope import EnvelopeError, Frame
from chinwag.bus.nats_presence import split
from chinwag.bus.reorder import SeqOrder
from chinwag.bus.subjects import Subjects
from chinwag.ids import is_token
from chinwag.presence.link import Snapshot


def test_envelope_round_trips() -> None:
    data = '{"type":"message","text":"é 🎉"}'.encode()
    assert envelope.decode(envelope.frame(data, 42)) == Frame(42, data)
    assert envelope.decode(envelope.frame(b"")) == Frame(0, b"")
    for event in (DeviceRevoked("d1"), ChannelJoined("c1", True), ChannelJoined("c2", False)):
        assert envelope.decode(envelope.control(event)) == event
    assert envelope.decode(envelope.control(ChannelLeft("c3"))) == ChannelLeft("c3")
    assert Subjects().user("uabc") == "chinwag.u.uabc"
    assert Subjects("blue").channel("cabc") == "blue.c.cabc"


@pytest.mark.parametrize("payload", [b"", b"m123", b"r", b"j", b"jx1", b"l", b"z", b"r\xff"])
def test_envelope_rejects_garbage(payload: bytes) -> None:
    with pytest.raises(EnvelopeError):
        envelope.decode(payload)


def test_subject_tokens() -> None:
    assert is_token("g_1-abc")
    assert not is_token("a.b") and not is_token("*") and not is_token("")


def seqs(ready: list[tuple[int, bytes]]) -> list[int]:
    return [seq for seq, _ in ready]


def test_reorder_restores_seq_order() -> None:
    order = SeqOrder()
    # The first frame waits (nothing is known yet); what arrives meanwhile joins it.
    assert order.offer(11, b"k") == [] and order.offer(10, b"j") == []
    assert not order.started and order.holding
    assert order.skip() == [(10, b"j"), (11, b"k")]
    assert order.started and not order.holding
    assert seqs(order.offer(12, b"")) == [12]
    # 14 overtakes 13: held until 13 comes.
    assert order.offer(14, b"") == [] and order.holding
    assert seqs(order.offer(13, b"")) == [13, 14]
    # Frames without a seq, and late or repeated ones, pass straight through.
    assert seqs(order.offer(0, b"")) == [0]
    assert seqs(order.offer(12, b"")) == [12]


def test_reorder_gives_up_one_gap_at_a_time() -> None:
    order = SeqOrder()
    order.offer(1, b"")
    order.skip()
    assert order.offer(3, b"") == [] and order.offer(4, b"") == [] and order.offer(7, b"") == []
    # 2 was dropped: 3 and 4 go; 7 still waits for 5 and 6.
    assert seqs(order.skip()) == [3, 4]
    assert order.holding
    assert seqs(order.offer(5, b"")) == [5]
    assert seqs(order.skip()) == [7]
    assert not order.holding and order.skip() == []


def test_reorder_is_bounded() -> None:
    order = SeqOrder(max_held=3)
    order.offer(1, b"")
    order.skip()
    assert order.offer(5, b"") == [] and order.offer(6, b"") == [] and order.offer(9, b"") == []
    assert seqs(order.offer(10, b"")) == [5, 6]
    assert seqs(order.offer(11, b"")) == []
    assert seqs(order.skip()) == [9, 10, 11]


def test_snapshot_parts_fit_the_budget() -> None:
    users = [f"u{i:016d}" for i in range(1000)]
    parts = split(Snapshot("e1", 7, users), budget=2000)
    assert len(parts) > 5
    assert all(p.parts == len(parts) and p.epoch == "e1" and p.seq == 7 for p in parts)
    assert [p.part for p in parts] == list(range(len(parts)))
    assert [u for p in parts for u in p.users] == users
    assert all(sum(len(u) + 3 for u in p.users) <= 2000 for p in parts)
    assert len(split(Snapshot("e1", 0, []), budget=100)) == 1
