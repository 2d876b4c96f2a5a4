"""The few server frames the bench reads, and the client frames it writes, as bytes.

Decoding goes into one flat Struct with every field the bench needs optional: msgspec
skips the fields it is not asked for, which is cheaper than a dict and needs no tag
list (so a server that adds frame types does not break the bench). Send frames are
pre-encoded per sender: only the sequence number and the timestamp change per message.
"""

from __future__ import annotations

import msgspec

STAMP_DIGITS = 20  # time.monotonic_ns() fits in 20 digits for centuries of uptime


class InMessage(msgspec.Struct):
    channel_id: str
    message_id: int
    sender_id: str = ""
    text: str = ""


class InFrame(msgspec.Struct):
    """Any server frame; `message` is a Message in `message` frames and the error text in
    `error` frames."""

    type: str
    cursor: int | None = None
    message: InMessage | str | None = None
    client_msg_id: str | None = None
    channel_id: str | None = None
    message_id: int | None = None
    code: str | None = None
    ref: str | None = None
    heartbeat_interval: float | None = None  # in `welcome`


DECODER = msgspec.json.Decoder(InFrame)
_encode = msgspec.json.Encoder().encode


PING = _encode({"type": "ping"})


def hello(token: str, cursor: int | None) -> bytes:
    frame: dict[str, object] = {"type": "hello", "token": token}
    if cursor is not None:
        frame["cursor"] = cursor
    return _encode(frame)


class SendEncoder:
    """Builds `send` frames for one sender and channel.

    The text starts with the zero-padded send time (time.monotonic_ns, which is one clock
    for all processes on Linux) so any receiving process can compute the latency without
    sharing a table with the sender."""

    __slots__ = ("_head", "_tail")

    def __init__(self, channel_id: str, tag: str, text_size: int) -> None:
        # Ids are server-made ([a-z0-9]) and tags are ours, so no JSON escaping is needed.
        self._head = b'{"type":"send","channel_id":"%s","client_msg_id":"%s.' % (
            channel_id.encode(),
            tag.encode(),
        )
        self._tail = b"x" * (text_size - STAMP_DIGITS) + b'"}'

    def frame(self, seq: int, stamp_ns: int) -> bytes:
        return b'%s%d","text":"%020d%s' % (self._head, seq, stamp_ns, self._tail)


def stamp_of(text: str) -> int:
    """The send time written by `SendEncoder`, or -1 for a text the bench did not write."""
    head = text[:STAMP_DIGITS]
    return int(head) if len(head) == STAMP_DIGITS and head.isdigit() else -1
