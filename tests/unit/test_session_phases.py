"""The session's phases, hello and framing rules, driven with no socket."""

from __future__ import annotations

import dataclasses

import pytest

from chinwag.gateway import actions as act
from chinwag.gateway.session import BINARY, CLOSE, CONTINUATION, PING, TEXT
from chinwag.protocol.session import (
    ACCEPTS_IN_PHASE,
    CloseCode,
    Phase,
    Reaction,
    TransitionError,
    next_phase,
    reaction,
)
from tests.unit.session_driver import CONFIG, Driver


def closed_with(d: Driver) -> tuple[int, str]:
    (close,) = d.only(act.Close)
    return close.code, close.reason


def test_connect_starts_the_hello_clock_and_hello_stops_it() -> None:
    d = Driver()
    assert d.take() == [act.SetTimer(act.Timer.HELLO, CONFIG.hello_timeout)]
    d.hello()
    assert d.take() == [act.CancelTimer(act.Timer.HELLO), act.Authenticate("tok")]
    assert d.session.phase is Phase.AUTHENTICATING


def test_no_hello_in_time_closes_4000() -> None:
    d = Driver()
    d.take()
    d.session.timer_fired(act.Timer.HELLO)
    assert closed_with(d) == (CloseCode.PROTOCOL_ERROR, "no hello in time")
    assert d.session.phase is Phase.CLOSING


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ({"type": "ping"}, "the first frame must be hello"),
        ({"type": "sync", "cursor": 0}, "the first frame must be hello"),
        (b"{not json", "the first frame must be a valid hello"),
    ],
)
def test_anything_but_hello_first_closes_4000(
    first: dict[str, object] | bytes, reason: str
) -> None:
    d = Driver()
    d.take()
    d.text(first)
    assert closed_with(d) == (CloseCode.PROTOCOL_ERROR, reason)
    assert d.frames() == []


def test_binary_first_closes_4000_and_later_gets_an_error_frame() -> None:
    d = Driver()
    d.frame(BINARY, b"\x00")
    assert closed_with(d)[0] == CloseCode.PROTOCOL_ERROR
    d = Driver()
    d.live_session()
    d.frame(BINARY, b"\x00")
    assert [f["code"] for f in d.frames()] == ["invalid_request"]
    assert not d.only(act.Close)


def test_frames_pipelined_behind_hello_wait_for_the_welcome() -> None:
    d = Driver()
    d.hello()
    d.text({"type": "ping"})
    d.text({"type": "typing", "channel_id": "c1"})
    assert d.frames() == []
    d.take()
    d.welcome(head=7)
    assert d.types() == ["welcome", "pong"]
    assert act.StartTyping("c1") in d.take()


def test_too_many_frames_before_welcome_closes_4000() -> None:
    d = Driver(dataclasses.replace(CONFIG, max_early_frames=2))
    d.hello()
    for _ in range(3):
        d.text({"type": "ping"})
    assert closed_with(d) == (CloseCode.PROTOCOL_ERROR, "too many frames before welcome")


def test_hello_when_live_is_an_error_frame_not_a_close() -> None:
    d = Driver()
    d.live_session()
    d.hello()
    (frame,) = d.frames()
    assert frame["type"] == "error" and frame["message"] == "already authenticated"
    assert not d.only(act.Close)


def test_every_live_frame_is_a_heartbeat() -> None:
    d = Driver()
    d.live_session()
    d.text({"type": "ping"})
    d.text(b"{bad")
    assert d.take().count(act.Seen()) == 2


def test_refused_token_closes_4001_and_nothing_is_written() -> None:
    d = Driver()
    d.hello()
    d.take()
    d.session.refused(CloseCode.UNAUTHORIZED, "unauthorized")
    assert closed_with(d) == (CloseCode.UNAUTHORIZED, "unauthorized")
    d.welcome(head=3)  # a late answer changes nothing
    assert d.frames() == [] and d.session.phase is Phase.CLOSING


def test_framing_refusals() -> None:
    d = Driver()
    d.frame(TEXT, b'{"type":"hello","token":"t"}', rsv=True)
    assert closed_with(d)[0] == CloseCode.FRAMING_ERROR
    d = Driver()
    d.frame(CONTINUATION, b"x")
    assert closed_with(d)[0] == CloseCode.FRAMING_ERROR
    d = Driver()
    d.frame(TEXT, b'{"type":', fin=False)
    d.frame(TEXT, b"x")
    assert closed_with(d)[0] == CloseCode.FRAMING_ERROR
    d = Driver()
    d.frame(TEXT, b'"\xff"')
    assert closed_with(d)[0] == CloseCode.INVALID_TEXT
    d = Driver(dataclasses.replace(CONFIG, max_frame_bytes=10))
    d.frame(TEXT, b"x" * 8, fin=False)
    d.frame(CONTINUATION, b"x" * 8)
    assert closed_with(d)[0] == CloseCode.TOO_LARGE


def test_fragments_are_joined() -> None:
    d = Driver()
    d.live_session()
    d.frame(TEXT, b'{"type":', fin=False)
    d.frame(CONTINUATION, b'"ping"}')
    assert d.types() == ["pong"]


def test_frame_rate_counts_control_frames() -> None:
    d = Driver(dataclasses.replace(CONFIG, frames_per_sec=3))
    for _ in range(4):
        d.frame(PING, b"p")
    acts = d.take()
    assert acts.count(act.Pong(b"p")) == 3
    assert [a.code for a in acts if isinstance(a, act.Close)] == [CloseCode.RATE_LIMITED]
    d.now += 1.0  # a new window, but the socket is closing: nothing more is read
    d.frame(PING, b"p")
    assert d.take() == []


def test_client_close_is_echoed_and_clean() -> None:
    d = Driver()
    d.live_session()
    d.frame(CLOSE, (1000).to_bytes(2, "big") + b"bye")
    assert d.take() == [act.Disconnect(1000)]
    assert d.session.clean_close and d.session.phase is Phase.CLOSING
    d.session.deliver(b'{"type":"presence"}', 0)
    assert d.frames() == []


def test_after_our_close_only_the_clients_close_counts() -> None:
    d = Driver()
    d.live_session()
    d.session.close(CloseCode.GOING_AWAY, "bye")
    d.take()
    d.text({"type": "ping"})
    assert d.take() == [] and d.frames() == []
    d.frame(CLOSE, b"")
    assert d.take() == [act.Disconnect(None)]
    d.session.disconnected()
    assert d.session.phase is Phase.CLOSED


def test_close_cancels_pending_timers() -> None:
    d = Driver()
    d.take()
    d.session.close(CloseCode.GOING_AWAY, "bye")
    assert d.take() == [act.CancelTimer(act.Timer.HELLO), act.Close(CloseCode.GOING_AWAY, "bye")]


def test_write_buffer_full_when_not_replaying_closes_4009() -> None:
    d = Driver()
    d.live_session()
    d.session.write_paused()
    assert closed_with(d)[0] == CloseCode.TOO_SLOW


def test_the_phase_table() -> None:
    assert reaction(Phase.AWAITING_HELLO, "hello") is Reaction.ACCEPT
    assert reaction(Phase.AWAITING_HELLO, "send") is Reaction.CLOSE
    assert reaction(Phase.AUTHENTICATING, "send") is Reaction.DEFER
    assert reaction(Phase.LIVE, "hello") is Reaction.ERROR
    assert reaction(Phase.CLOSING, "send") is Reaction.DROP
    assert "hello" not in ACCEPTS_IN_PHASE[Phase.LIVE]
    assert next_phase(Phase.AUTHENTICATING, "welcome") is Phase.LIVE
    with pytest.raises(TransitionError):
        next_phase(Phase.LIVE, "hello")
    with pytest.raises(TransitionError):
        next_phase(Phase.CLOSED, "welcome")
