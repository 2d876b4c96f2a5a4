"""What the bus puts on NATS: subject names and a small binary envelope. Pure, no I/O.

A frame is encoded once per recipient by the caller (MessagingService.publish); the
envelope only adds a kind byte and, for frames, the recipient's inbox seq, so a receiving
gateway can order and hand it on without parsing JSON:

    b"m" + seq (8 bytes, big-endian) + frame   a frame; seq 0 when it carries none
    b"f" + sender + b"\n" + frame              a frame from a user (typing, presence),
                                               held back from those with a block
                                               between them and the sender
    b"r" + device_id                           DeviceRevoked
    b"j" + (b"1" | b"0") + channel_id          ChannelJoined, large or not
    b"l" + channel_id                          ChannelLeft
    b"d" + device_id + b"\n" + frame           ForDevice
    b"b" + (b"1" | b"0") + blocker + b"\n" + blocked   BlockChanged, blocked or not

Subjects (bus/subjects.py, under the cluster's namespace, `chinwag` by default):
`<ns>.u.<user_id>` for everything addressed to one user (frames and control events, so
one subscription per connected user carries both, in publish order); `<ns>.c.<channel_id>`
for frames of a large (fan-out on read) group; `<ns>.push` for push events, taken by one
member of the `push` queue group. Ids are single subject tokens (chinwag.ids makes them
of lowercase letters and digits).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from chinwag.events import (
    BlockChanged,
    ChannelJoined,
    ChannelLeft,
    Control,
    DeviceRevoked,
    ForDevice,
)

PUSH_QUEUE = "push"

_SEQ = struct.Struct(">Q")
_FRAME = b"m"
_REVOKED = b"r"
_JOINED = b"j"
_LEFT = b"l"
_FOR_DEVICE = b"d"
_FROM = b"f"
_BLOCK = b"b"
# One NATS subject token: no dots, wildcards or whitespace.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


class EnvelopeError(ValueError):
    """A payload that is not a bus envelope; carries the offending kind byte."""

    def __init__(self, kind: bytes) -> None:
        super().__init__(f"not a bus envelope (kind {kind!r})")
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Frame:
    """A WebSocket frame for one user or one large group; `seq` is 0 when it has none,
    `sender` "" unless it is a frame from a user (typing, presence)."""

    seq: int
    data: bytes
    sender: str = ""


Envelope = Frame | Control


def frame(data: bytes, seq: int = 0) -> bytes:
    return b"".join((_FRAME, _SEQ.pack(seq), data))


def from_sender(sender: str, data: bytes) -> bytes:
    return b"".join((_FROM, sender.encode(), b"\n", data))


def control(event: Control) -> bytes:
    if isinstance(event, DeviceRevoked):
        return _REVOKED + event.device_id.encode()
    if isinstance(event, ChannelJoined):
        return _JOINED + (b"1" if event.large else b"0") + event.channel_id.encode()
    if isinstance(event, ForDevice):
        return b"".join((_FOR_DEVICE, event.device_id.encode(), b"\n", event.data))
    if isinstance(event, BlockChanged):
        on = b"1" if event.blocked else b"0"
        return b"".join((_BLOCK, on, event.blocker_id.encode(), b"\n", event.blocked_id.encode()))
    return _LEFT + event.channel_id.encode()


def decode(payload: bytes) -> Envelope:
    """The envelope in `payload`; raises EnvelopeError for anything else."""
    kind = payload[:1]
    if kind == _FRAME and len(payload) >= 1 + _SEQ.size:
        (seq,) = _SEQ.unpack_from(payload, 1)
        return Frame(seq, payload[1 + _SEQ.size :])
    if kind in (_FOR_DEVICE, _FROM):
        head, sep, data = payload[1:].partition(b"\n")
        if sep and head:
            try:
                name = head.decode()
            except UnicodeDecodeError:
                raise EnvelopeError(kind) from None
            return ForDevice(name, data) if kind == _FOR_DEVICE else Frame(0, data, name)
        raise EnvelopeError(kind)
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
    if kind == _BLOCK and text[:1] in ("0", "1"):
        blocker, mark, blocked = text[1:].partition("\n")
        if mark and blocker and blocked:
            return BlockChanged(blocker, blocked, text[0] == "1")
    raise EnvelopeError(kind)
