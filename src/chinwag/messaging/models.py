from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import msgspec

from chinwag.media.models import Attachment


class Message(msgspec.Struct, frozen=True):
    """A stored message. `created_at` is milliseconds since the epoch."""

    channel_id: str
    message_id: int
    sender_id: str
    text: str
    created_at: int
    client_msg_id: str
    # Set by the messaging service (the engines store only the links).
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class SendRequest:
    sender_id: str
    device_id: str
    channel_id: str
    client_msg_id: str
    text: str
    created_at: int
    # Checked by the service (each uploaded by the sender); the engine links them to
    # the message in the send transaction.
    attachment_ids: tuple[str, ...] = ()


class SendRefusal(Enum):
    NO_CHANNEL = "no_channel"
    NOT_MEMBER = "not_member"
    # A direct channel whose two users are no longer friends takes no new messages.
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Stored:
    """Outcome of a send. `cursors` maps each member to their inbox seq for this message
    (fan-out on write), or is empty for fan-out-on-read groups, whose members are listed
    in `members`. `duplicate` is true when the (device, client_msg_id) was seen before;
    then nothing new was stored and nothing should be delivered again."""

    message: Message
    cursors: dict[str, int]
    members: tuple[str, ...]
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class InboxEntry:
    seq: int
    message: Message
