"""What a device session asks its connection to do (see `gateway/session.py`).

Frozen, slotted values (msgspec structs: one is made per frame, and a frozen dataclass
costs several times as much to make); the connection performs them in the order given.
Reads answer with the session event named in each docstring.
"""

from __future__ import annotations

import enum

import msgspec

from chinwag.protocol.frames import Send
from chinwag.protocol.session import CloseCode


class Timer(enum.Enum):
    HELLO = "hello"  # the hello must come within hello_timeout
    GAP = "gap"  # an inbox gap has waited gap_wait: read it from storage
    GROUPS = "groups"  # a large-group gap has waited gap_wait: read it from history
    DRAIN = "drain"  # a replay has waited drain_wait for the socket to drain


class SetTimer(msgspec.Struct, frozen=True):
    timer: Timer
    delay: float


class CancelTimer(msgspec.Struct, frozen=True):
    timer: Timer


class Authenticate(msgspec.Struct, frozen=True):
    """Check the token, admit and register the device, join its large groups, then read
    its inbox head: `authenticated`, `refused` or `storage_failed`. Registering before
    the head is read is what makes the welcome's cursor safe: anything committed after
    it reaches the session (and is held) as live traffic."""

    token: str


class ReadHead(msgspec.Struct, frozen=True):
    """The user's newest inbox seq: `head_read` or `storage_failed`."""


class ReadInbox(msgspec.Struct, frozen=True):
    """Up to `limit` inbox entries after `after`, in seq order: `inbox_read(this, ...)`."""

    after: int
    limit: int
    repair: bool  # closing a gap (else: a replay batch)


class ReadHistory(msgspec.Struct, frozen=True):
    """A large group's messages with after < message_id <= upto: `history_read`."""

    channel_id: str
    after: int
    upto: int
    limit: int


class Submit(msgspec.Struct, frozen=True):
    """Store and publish a message; `sent(frame, outcome)` when done."""

    frame: Send


class StartTyping(msgspec.Struct, frozen=True):
    channel_id: str


class MarkRead(msgspec.Struct, frozen=True):
    channel_id: str
    message_id: int


class AckToDevice(msgspec.Struct, frozen=True):
    """Drop this device's to-device messages up to `seq`."""

    seq: int


class Seen(msgspec.Struct, frozen=True):
    """A frame from an authenticated device: a heartbeat for presence."""


class PauseReading(msgspec.Struct, frozen=True):
    pass


class ResumeReading(msgspec.Struct, frozen=True):
    pass


class Flush(msgspec.Struct, frozen=True):
    """Write what `data_to_send` holds now, then report `flushed`."""


class Pong(msgspec.Struct, frozen=True):
    payload: bytes


class Close(msgspec.Struct, frozen=True):
    """Write what is pending, then send a close frame; the socket ends when the client
    answers it (or after a grace period)."""

    code: CloseCode
    reason: str


class Disconnect(msgspec.Struct, frozen=True):
    """The client's close frame came: echo its code (unless ours went first: None),
    then drop the socket."""

    echo: int | None


Action = (
    SetTimer
    | CancelTimer
    | Authenticate
    | ReadHead
    | ReadInbox
    | ReadHistory
    | Submit
    | StartTyping
    | MarkRead
    | AckToDevice
    | Seen
    | PauseReading
    | ResumeReading
    | Flush
    | Pong
    | Close
    | Disconnect
)

SEEN, PAUSE, RESUME, FLUSH, READ_HEAD = Seen(), PauseReading(), ResumeReading(), Flush(), ReadHead()
