"""What a device session asks its connection to do (see `gateway/session.py`).

Frozen, slotted values; the connection performs them in the order given. Reads answer
with the session event named in each docstring.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chinwag.protocol.frames import Send
from chinwag.protocol.session import CloseCode


class Timer(enum.Enum):
    HELLO = "hello"  # the hello must come within hello_timeout
    GAP = "gap"  # an inbox gap has waited gap_wait: read it from storage
    GROUPS = "groups"  # a large-group gap has waited gap_wait: read it from history
    DRAIN = "drain"  # a replay has waited drain_wait for the socket to drain


@dataclass(frozen=True, slots=True)
class SetTimer:
    timer: Timer
    delay: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    timer: Timer


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Check the token, admit and register the device, join its large groups, then read
    its inbox head: `authenticated`, `refused` or `storage_failed`. Registering before
    the head is read is what makes the welcome's cursor safe: anything committed after
    it reaches the session (and is held) as live traffic."""

    token: str


@dataclass(frozen=True, slots=True)
class ReadHead:
    """The user's newest inbox seq: `head_read` or `storage_failed`."""


@dataclass(frozen=True, slots=True)
class ReadInbox:
    """Up to `limit` inbox entries after `after`, in seq order: `inbox_read(this, ...)`."""

    after: int
    limit: int
    repair: bool  # closing a gap (else: a replay batch)


@dataclass(frozen=True, slots=True)
class ReadHistory:
    """A large group's messages with after < message_id <= upto: `history_read`."""

    channel_id: str
    after: int
    upto: int
    limit: int


@dataclass(frozen=True, slots=True)
class Submit:
    """Store and publish a message; `sent(frame, outcome)` when done."""

    frame: Send


@dataclass(frozen=True, slots=True)
class StartTyping:
    channel_id: str


@dataclass(frozen=True, slots=True)
class MarkRead:
    channel_id: str
    message_id: int


@dataclass(frozen=True, slots=True)
class Seen:
    """A frame from an authenticated device: a heartbeat for presence."""


@dataclass(frozen=True, slots=True)
class PauseReading:
    pass


@dataclass(frozen=True, slots=True)
class ResumeReading:
    pass


@dataclass(frozen=True, slots=True)
class Flush:
    """Write what `data_to_send` holds now, then report `flushed`."""


@dataclass(frozen=True, slots=True)
class Pong:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """Write what is pending, then send a close frame; the socket ends when the client
    answers it (or after a grace period)."""

    code: CloseCode
    reason: str


@dataclass(frozen=True, slots=True)
class Disconnect:
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
    | Seen
    | PauseReading
    | ResumeReading
    | Flush
    | Pong
    | Close
    | Disconnect
)

SEEN, PAUSE, RESUME, FLUSH, READ_HEAD = Seen(), PauseReading(), ResumeReading(), Flush(), ReadHead()
