from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

import msgspec

from chinwag.media.models import Attachment

Reactions = tuple[tuple[str, tuple[str, ...]], ...]


class Message(msgspec.Struct, frozen=True):
    """A stored message in its current state. Times are milliseconds since the epoch.

    A deleted message keeps its ids, sender and time; its text, reply, mentions,
    reactions and attachments are gone. `reactions` lists (emoji, user ids) in the
    order they came."""

    channel_id: str
    message_id: int
    sender_id: str
    text: str
    created_at: int
    client_msg_id: str
    reply_to: int | None = None
    mentions: tuple[str, ...] = ()
    edited_at: int | None = None
    deleted: bool = False
    reactions: Reactions = ()
    # Set by the messaging service (the engines store only the links).
    attachments: tuple[Attachment, ...] = ()


class SendRequest(msgspec.Struct, frozen=True):
    """One send, as the service hands it to the engine. Like `Stored`, a struct rather
    than a frozen dataclass: one is made per message, and a frozen dataclass this size
    costs more than ten times as much to make (15,000 instructions)."""

    sender_id: str
    device_id: str
    channel_id: str
    client_msg_id: str
    text: str
    created_at: int
    reply_to: int | None = None
    # Members named as @username in the text, resolved before the send is stored.
    mentions: tuple[str, ...] = ()
    # Checked by the service (each uploaded by the sender); the engine links them to
    # the message in the send transaction.
    attachment_ids: tuple[str, ...] = ()
    # The body is end-to-end encrypted: the engine refuses it unless the channel is, and
    # a plain one if the channel is (checked in the send transaction, so no process
    # takes plaintext once encryption is on).
    encrypted: bool = False


class SendRefusal(Enum):
    NO_CHANNEL = "no_channel"
    NOT_MEMBER = "not_member"
    # A direct channel whose two users are no longer friends takes no new messages.
    CLOSED = "closed"
    # A plain send to an end-to-end encrypted channel, or an encrypted one to a plain one.
    ENCRYPTED = "encrypted"
    PLAIN = "plain"


class Stored(msgspec.Struct, frozen=True):
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
    """One entry of a user's sync queue: a new message (`event` None) or a change to
    one ("edited", "deleted", "reaction"); either way `message` is its current state."""

    seq: int
    message: Message
    event: str | None = None


class Event(StrEnum):
    """What an `update` entry says happened to a message."""

    EDITED = "edited"
    DELETED = "deleted"
    REACTION = "reaction"


@dataclass(frozen=True, slots=True)
class Edit:
    text: str
    mentions: tuple[str, ...]
    at: int
    # Keep the replaced text for server admins (the keep_edit_history setting).
    keep_history: bool = False


@dataclass(frozen=True, slots=True)
class Version:
    """A text an edit replaced (kept only with the keep_edit_history setting): current
    from `since` (the send, or the edit before) until `replaced_at`. Oldest is 1."""

    version: int
    text: str
    mentions: tuple[str, ...]
    since: int
    replaced_at: int


@dataclass(frozen=True, slots=True)
class Delete:
    pass


@dataclass(frozen=True, slots=True)
class React:
    user_id: str
    emoji: str
    add: bool
    at: int


Change = Edit | Delete | React


class ChangeRefusal(Enum):
    NO_MESSAGE = "no_message"
    DELETED = "deleted"  # a deleted message takes no edit and no reaction
    # Checked in the change's own transaction, so a switch or an unfriending that
    # commits between the service's checks and the change still counts.
    ENCRYPTED = "encrypted"  # an end-to-end encrypted channel takes no edit
    CLOSED = "closed"  # a closed direct channel takes no edit and no added reaction


def refused_by_channel(change: Change, encrypted: bool, closed: bool) -> ChangeRefusal | None:
    """What the channel's state, read in the change's transaction, refuses."""
    if isinstance(change, Edit) and encrypted:
        return ChangeRefusal.ENCRYPTED
    if closed and (isinstance(change, Edit) or (isinstance(change, React) and change.add)):
        return ChangeRefusal.CLOSED
    return None


@dataclass(frozen=True, slots=True)
class Changed:
    """A committed change: the message's new state and, as for `Stored`, each member's
    inbox seq for it (fan-out on write) or the members of a fan-out-on-read group.
    `changed` is false when the change was already in effect (a repeated reaction, a
    second delete): nothing was stored and nothing is to be delivered."""

    event: Event
    message: Message
    cursors: dict[str, int]
    members: tuple[str, ...]
    changed: bool = True
