"""The bus envelope and snapshot splitting: pure, no NATS."""

from __future__ import annotations

import pytest

from chinwag.bus import envelope
from chinwag.bus.base import BlockChanged, ChannelJoined, ChannelLeft, DeviceRevoked, ForDevice
from chinwag.bus.envelope import EnvelopeError, Frame
from chinwag.bus.nats_presence import split
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
    for_device = ForDevice("d2", b'{"type":"to_device","content":{"a":"\n"}}')
    assert envelope.decode(envelope.control(for_device)) == for_device
    typing = b'{"type":"typing","channel_id":"c1","user_id":"u1"}\n'
    assert envelope.decode(envelope.from_sender("u1", typing)) == Frame(0, typing, "u1")
    for block in (BlockChanged("u1", "u2", True), BlockChanged("u2", "u1", False)):
        assert envelope.decode(envelope.control(block)) == block
    assert Subjects().user("uabc") == "chinwag.u.uabc"
    assert Subjects("blue").channel("cabc") == "blue.c.cabc"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"m123",
        b"r",
        b"j",
        b"jx1",
        b"l",
        b"z",
        b"r\xff",
        b"d",
        b"dx",
        b"d\nx",
        b"d\xff\n{}",
        b"f",
        b"f\n{}",
        b"b",
        b"b1",
        b"b2u1\nu2",
        b"b1u1",
        b"b1\nu2",
    ],
)
def test_envelope_rejects_garbage(payload: bytes) -> None:
    with pytest.raises(EnvelopeError):
        envelope.decode(payload)


def test_subject_tokens() -> None:
    assert is_token("g_1-abc")
    assert not is_token("a.b") and not is_token("*") and not is_token("")


def test_snapshot_parts_fit_the_budget() -> None:
    users = [f"u{i:016d}" for i in range(1000)]
    parts = split(Snapshot("e1", 7, users), budget=2000)
    assert len(parts) > 5
    assert all(p.parts == len(parts) and p.epoch == "e1" and p.seq == 7 for p in parts)
    assert [p.part for p in parts] == list(range(len(parts)))
    assert [u for p in parts for u in p.users] == users
    assert all(sum(len(u) + 3 for u in p.users) <= 2000 for p in parts)
    assert len(split(Snapshot("e1", 0, []), budget=100)) == 1
