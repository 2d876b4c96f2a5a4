"""Rules for WebSocket frames as they arrive, before the JSON codec; pure.

The framing layer (picows) checks lengths, masks and opcodes; these are the RFC 6455
rules it leaves to us, and chinwag's own:

* RSV1-3 must be 0 unless an extension was negotiated (§5.2), and none ever is: 1002.
* A fragmented message is not interleaved with another (§5.4), and a continuation frame
  continues an open message (§5.4): 1002 otherwise.
* A text message must be valid UTF-8 (§5.6, §8.1), whichever field holds the bad bytes,
  even one the codec would skip: 1007.
* The first frame must be a text `hello`; a binary frame then is a protocol error (4000).
  Later, a binary frame is only refused with an `error` frame.
* Every frame counts against the per-socket frame rate, control frames (ping, pong,
  close) included: a flood of pings costs as much to read as a flood of anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.protocol.session import CloseCode, Phase


@dataclass(frozen=True, slots=True)
class Refusal:
    """Close the connection with `code`; `reason` goes in the close frame."""

    code: CloseCode
    reason: str


NO_EXTENSIONS = Refusal(CloseCode.FRAMING_ERROR, "reserved bits set; no extension in use")
BINARY_FIRST = Refusal(CloseCode.PROTOCOL_ERROR, "the first frame must be a text hello")
BAD_UTF8 = Refusal(CloseCode.INVALID_TEXT, "text is not valid UTF-8")
INTERLEAVED = Refusal(CloseCode.FRAMING_ERROR, "a new message began inside a fragmented one")
NO_MESSAGE = Refusal(CloseCode.FRAMING_ERROR, "a continuation frame with no message open")


def check_frame(phase: Phase, binary: bool, rsv: bool) -> Refusal | None:
    """A refusal for a frame that ends the connection, from its header alone: `binary`
    for a binary frame, `rsv` when any reserved bit is set. Only such frames can be
    refused here, so a caller may skip the call for text and control frames without
    reserved bits (the hot path)."""
    if rsv:
        return NO_EXTENSIONS
    if binary and phase is Phase.AWAITING_HELLO:
        return BINARY_FIRST
    return None


def check_text(payload: bytes) -> Refusal | None:
    """A refusal for a whole text message that is not UTF-8. ASCII (most frames) is
    checked without decoding."""
    if payload.isascii():
        return None
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return BAD_UTF8
    return None


class FrameRate:
    """Frames per one-second window on one socket, every kind counted."""

    __slots__ = ("_count", "_limit", "_start")

    def __init__(self, limit: int, now: float) -> None:
        self._limit = limit
        self._start = now
        self._count = 0

    def over(self, now: float) -> bool:
        """Count one frame at `now`; True once the window holds more than the limit."""
        if now - self._start >= 1.0:
            self._start = now
            self._count = 1
            return self._limit < 1
        self._count += 1
        return self._count > self._limit
