"""Connection phases and close codes of the WebSocket contract.

Every rule about what a client may send in which phase is here:

    AWAITING_HELLO --hello--> AUTHENTICATING --token ok--> LIVE --close--> CLOSING -> CLOSED
          |                        |
          any other frame,         bad token: 4001
          or no hello in time: 4000

In every phase the framing rules of `framing.py` hold (reserved bits: 1002; text that is
not UTF-8: 1007; more frames a second than allowed, control frames included: 4008).

In LIVE every frame counts as a heartbeat; bad frames get an `error` frame and the
connection stays up.
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


ACCEPTS_IN_PHASE: dict[Phase, frozenset[str]] = {
    Phase.AWAITING_HELLO: frozenset({"hello"}),
    Phase.AUTHENTICATING: frozenset({"send", "sync", "ping", "typing", "read"}),
    Phase.LIVE: frozenset({"send", "sync", "ping", "typing", "read"}),
    Phase.CLOSING: frozenset(),
    Phase.CLOSED: frozenset(),
}
