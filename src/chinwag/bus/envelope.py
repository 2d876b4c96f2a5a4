"""What the bus puts on NATS: subject names and a small binary envelope. Pure, no I/O.

A frame is encoded once per recipient by the caller (MessagingService.publish); the
envelope only adds a kind byte and, for frames, the recipient's inbox seq, so a receiving
gateway can order and hand it on without parsing JSON:

    b"m" + seq (8 bytes, big-endian) + frame   a frame; seq 0 when it carries none
    b"r" + device_id                           DeviceRevoked
    b"j" + (b"1" | b"0") + channel_id          ChannelJoined, large or not
    b"l" + channel_id                          ChannelLeft

Subjects (bus/subjects.py, under the cluster's namespace, `chinwag` by default):
`<ns>.u.<user_id>` for everything addressed to one user (frames and control events, so
one subscription per connected user carries both, in publish order); `<ns>.c.<channel_id>`
for frames of a large (fan-out on read) group; `<ns>.push` for push events, taken by one
member of the `push` queue group. Ids are single subject tokens (chinwag.ids makes them
of lowercase letters and digits).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chinwag.events import ChannelJoined, ChannelLeft, Control, DeviceRevoked

PUSH_QUEUE = "push"

_SEQ = struct.Struct(">Q")
_FRAME = b"m"
_REVOKED = b"r"
_JOINED = b"j"
_LEFT = b"l"


class EnvelopeError(ValueError):
    """A payload that is not a bus envelope; carries the offending kind byte."""

    def __init__(self, kind: bytes) -> None:
        super().__init__(f"not a bus envelope (kind {kind!r})")
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Frame:
    """A WebSocket frame for one user or one large group; `seq` is 0 when it has none."""

    seq: int
    data: bytes


Envelope = Frame | Control


def frame(data: bytes, seq: int = 0) -> bytes:
    return b"".join((_FRAME, _SEQ.pack(seq), data))


def control(event: Control) -> bytes:
    if isinstance(event, DeviceRevoked):
        return _REVOKED + event.device_id.encode()
    if isinstance(event, ChannelJoined):
        return _JOINED + (b"1" if event.large else b"0") + event.channel_id.encode()
    return _LEFT + event.channel_id.encode()


def decode(payload: bytes) -> Envelope:
    """The envelope in `payload`; raises EnvelopeError for anything else."""
    kind = payload[:1]
    if kind == _FRAME and len(payload) >= 1 + _SEQ.size:
        (seq,) = _SEQ.unpack_from(payload, 1)
        return Frame(seq, payload[1 + _SEQ.size :])
    try:
        text = payload[1:].decode()
    except UnicodeDecodeError:
        raise EnvelopeError(kind) from None
    if kind == _REVOKED and text:
        return DeviceRevoked(text)
    if kind == _JOINED and len(text) > 1 and text[0] in "01":
        return ChannelJoined(text[1:], text[0] == "1")
    if kind == _LEFT and text:
        return ChannelLeft(text)
    raise EnvelopeError(kind)
