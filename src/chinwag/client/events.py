"""What `ChatSession.events()` yields: typed, immutable events.

Most are server frames exactly as the contract defines them (docs/protocol.md, "WebSocket");
`Connected` and `Disconnected` are the session's own notices about its socket.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from chinwag.client.models import Channel, FriendRequest, Message, User


class MessageEvent(msgspec.Struct, tag="message", tag_field="type", frozen=True):
    """A message for this user. `cursor` is its inbox seq, or None for messages of
    large (fan-out on read) groups and for history fetched after a reset."""

    cursor: int | None
    message: Message


class UpdateEvent(msgspec.Struct, tag="update", tag_field="type", frozen=True):
    """A change to a message ("edited", "deleted" or "reaction"): `message` is its whole
    current state. `cursor` as for `MessageEvent` (None in large groups)."""

    cursor: int | None
    event: str
    message: Message


class PresenceEvent(msgspec.Struct, tag="presence", tag_field="type", frozen=True):
    """A friend or channel co-member went online or offline."""

    user_id: str
    status: Literal["online", "offline"]
    last_active_at: str | None = None


class TypingEvent(msgspec.Struct, tag="typing", tag_field="type", frozen=True):
    """Another member is typing in a channel."""

    channel_id: str
    user_id: str


class ReadEvent(msgspec.Struct, tag="read", tag_field="type", frozen=True):
    """A member has read a channel up to `message_id`."""

    channel_id: str
    user_id: str
    message_id: int


class ChannelEvent(msgspec.Struct, tag="channel", tag_field="type", frozen=True):
    """A channel was created, or a member added or removed (`user_id` says who)."""

    event: str
    channel: Channel
    user_id: str | None = None


class FriendEvent(msgspec.Struct, tag="friend", tag_field="type", frozen=True):
    """A friend request arrived or was sent (`request`), was accepted, or a friendship
    ended. `user` is the other person."""

    event: str
    user: User
    request: FriendRequest | None = None


class SyncedEvent(msgspec.Struct, tag="synced", tag_field="type", frozen=True):
    """Everything missed while away has been delivered; what follows is live."""

    cursor: int


class ResetEvent(msgspec.Struct, tag="reset", tag_field="type", frozen=True):
    """Too much was missed to replay. The session follows this event with each
    channel's recent history (as `MessageEvent`s with cursor None) and goes on from
    `cursor`; older missed messages are only available through history.

    `channel_id` is set when only one large group's catch-up was cut short."""

    cursor: int
    channel_id: str | None = None


class ErrorEvent(msgspec.Struct, tag="error", tag_field="type", frozen=True):
    """A server error not tied to a pending send (a refused `typing` or `read`)."""

    code: str
    message: str
    ref: str | None = None
    retry_after: float | None = None


class Connected(msgspec.Struct, frozen=True):
    """The session is live on `gateway_url` (after `welcome`, before any replay)."""

    gateway_id: str
    gateway_url: str


class Disconnected(msgspec.Struct, frozen=True):
    """The socket closed; the session reconnects after `retry_in` seconds.
    `code` is the close code, or None when the connection just dropped."""

    code: int | None
    reason: str
    retry_in: float


Event = (
    MessageEvent
    | UpdateEvent
    | PresenceEvent
    | TypingEvent
    | ReadEvent
    | ChannelEvent
    | FriendEvent
    | SyncedEvent
    | ResetEvent
    | ErrorEvent
    | Connected
    | Disconnected
)
