"""Connection phases, the frames each phase accepts, and close codes of the WebSocket
contract. Pure data plus two lookups; `gateway/session.py` is the state machine that
enforces them (every phase change goes through `next_phase`, every decoded frame through
`reaction`).

    AWAITING_HELLO --hello--> AUTHENTICATING --welcome--> LIVE
          |                        |                        |
          any other frame, or      bad token: 4001,          close (either side)
          no hello in time: 4000   too many sockets: 4008    |
          |                        |                        v
          +------------------------+----close-----------> CLOSING --disconnected--> CLOSED

In every phase the framing rules of `framing.py` hold (reserved bits: 1002; text that is
not UTF-8: 1007; more frames a second than allowed, control frames included: 4008).

Frames a client pipelines right after its hello wait, undecoded, until the welcome is
out; then the LIVE rules apply to them. In LIVE every frame counts as a heartbeat; a
frame the phase does not accept gets an `error` frame and the connection stays up.
"""

from __future__ import annotations

import enum


class Phase(enum.Enum):
    AWAITING_HELLO = "awaiting_hello"
    AUTHENTICATING = "authenticating"
    LIVE = "live"
    CLOSING = "closing"
    CLOSED = "closed"


class CloseCode(enum.IntEnum):
    """Close codes and what a client should do (docs/protocol.md)."""

    NORMAL = 1000  # done; no reconnect needed
    GOING_AWAY = 1001  # server leaving: reconnect through discovery, sync from cursor
    FRAMING_ERROR = 1002  # broken WebSocket framing (RFC 6455): fix the client
    INVALID_TEXT = 1007  # a text frame that is not UTF-8: fix the client
    TOO_LARGE = 1009  # frame over the limit
    PROTOCOL_ERROR = 4000  # bad or missing hello, malformed framing: fix the client
    UNAUTHORIZED = 4001  # token unknown or revoked: do not reconnect with it
    RATE_LIMITED = 4008  # too many connections or frames: back off, then reconnect
    TOO_SLOW = 4009  # could not keep up: reconnect and sync from cursor


class Reaction(enum.Enum):
    """What a phase does with a client frame."""

    ACCEPT = "accept"  # handle it now
    DEFER = "defer"  # keep it (bounded) until the phase changes
    ERROR = "error"  # answer with an `error` frame; the connection stays
    CLOSE = "close"  # close with 4000
    DROP = "drop"  # ignore: the connection is ending


ACCEPTS_IN_PHASE: dict[Phase, frozenset[str]] = {
    Phase.AWAITING_HELLO: frozenset({"hello"}),
    Phase.AUTHENTICATING: frozenset(),
    Phase.LIVE: frozenset({"send", "sync", "ping", "typing", "read"}),
    Phase.CLOSING: frozenset(),
    Phase.CLOSED: frozenset(),
}

OTHERWISE: dict[Phase, Reaction] = {
    Phase.AWAITING_HELLO: Reaction.CLOSE,
    Phase.AUTHENTICATING: Reaction.DEFER,
    Phase.LIVE: Reaction.ERROR,
    Phase.CLOSING: Reaction.DROP,
    Phase.CLOSED: Reaction.DROP,
}


def reaction(phase: Phase, frame_type: str) -> Reaction:
    """How `phase` treats a client frame whose `type` is `frame_type`."""
    if frame_type in ACCEPTS_IN_PHASE[phase]:
        return Reaction.ACCEPT
    return OTHERWISE[phase]


# (phase, event) -> the next phase. Events: hello (a valid first frame), welcome (token
# accepted, welcome sent), close (either side began the closing handshake),
# disconnected (the socket is gone). Anything not listed is a bug in the caller.
TRANSITIONS: dict[tuple[Phase, str], Phase] = {
    (Phase.AWAITING_HELLO, "hello"): Phase.AUTHENTICATING,
    (Phase.AUTHENTICATING, "welcome"): Phase.LIVE,
    (Phase.AWAITING_HELLO, "close"): Phase.CLOSING,
    (Phase.AUTHENTICATING, "close"): Phase.CLOSING,
    (Phase.LIVE, "close"): Phase.CLOSING,
    (Phase.AWAITING_HELLO, "disconnected"): Phase.CLOSED,
    (Phase.AUTHENTICATING, "disconnected"): Phase.CLOSED,
    (Phase.LIVE, "disconnected"): Phase.CLOSED,
    (Phase.CLOSING, "disconnected"): Phase.CLOSED,
    (Phase.CLOSED, "disconnected"): Phase.CLOSED,
}


class TransitionError(RuntimeError):
    """An event that the current phase has no transition for (a bug, never client input)."""


def next_phase(phase: Phase, event: str) -> Phase:
    try:
        return TRANSITIONS[(phase, event)]
    except KeyError:
        raise TransitionError(f"{event!r} is not possible in {phase.value}") from None
