"""The contract's objects (docs/protocol.md, "Objects") as typed, immutable structs.

Decoding ignores fields this client does not know, so a newer server that adds fields
keeps working; fields a server may leave out have defaults.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class User(msgspec.Struct, frozen=True):
    """A user's public profile."""

    id: str
    username: str
    display_name: str = ""
    # The avatar: an image uploaded to the server (its attachment id), and the path of
    # its thumbnail there; read both with `ApiClient.download` or a bearer token.
    avatar_url: str = ""
    status_text: str = ""
    created_at: str = ""
    avatar_id: str | None = None
    # Only in the caller's own profile (`me`): who may add them to groups.
    group_adds: str = ""


class Presence(msgspec.Struct, frozen=True):
    """Whether a user is online, and when they were last active (None: never seen)."""

    user_id: str
    status: Literal["online", "offline"]
    last_active_at: str | None = None


class Channel(msgspec.Struct, frozen=True):
    """A direct channel or a group.

    `members` is None for large groups; `last_read_message_id`, `unread_count` and
    `role` are only filled in channel listings (the caller's own view).
    """

    id: str
    kind: Literal["direct", "group"]
    name: str | None = None
    member_count: int = 0
    members: list[str] | None = None
    last_message_id: int = 0
    created_at: str = ""
    large: bool = False
    encrypted: bool = False
    last_read_message_id: int | None = None
    unread_count: int | None = None
    role: str | None = None


class Attachment(msgspec.Struct, frozen=True):
    """An uploaded file; `content_type` is what the server found in its bytes, and
    `width`/`height` are set for images."""

    id: str
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: str
    width: int | None = None
    height: int | None = None


class Message(msgspec.Struct, frozen=True):
    """A stored message; `message_id` grows by channel, starting at 1."""

    channel_id: str
    message_id: int
    sender_id: str
    text: str
    created_at: str
    client_msg_id: str = ""
    # End-to-end encrypted channels: the Megolm body (`text` is then empty).
    encrypted: dict[str, str] | None = None
    reply_to: int | None = None
    edited_at: str | None = None
    deleted: bool = False
    reactions: dict[str, list[str]] = {}
    mentions: list[str] = []
    attachments: tuple[Attachment, ...] = ()


class FriendRequest(msgspec.Struct, frozen=True):
    """A pending friend request from one user to another."""

    id: str
    from_user_id: str
    to_user_id: str
    created_at: str = ""


class FriendRequests(msgspec.Struct, frozen=True):
    """The caller's pending requests: sent to them (incoming) and by them (outgoing)."""

    incoming: list[FriendRequest] = []
    outgoing: list[FriendRequest] = []


class Friend(msgspec.Struct, frozen=True):
    """A friend with their current presence."""

    user: User
    presence: Presence


class Gateway(msgspec.Struct, frozen=True):
    """A WebSocket gateway as service discovery ranks it; `url` ends in `/v1/ws`."""

    id: str
    url: str
    region: str = ""
    load: float = 0.0


class LoginResult(msgspec.Struct, frozen=True):
    """A new device session: its bearer token and the gateways to connect to."""

    token: str
    device_id: str
    user: User
    gateways: list[Gateway] = []


class Ack(msgspec.Struct, frozen=True):
    """The server's word that a sent message is durably stored, and under which id."""

    client_msg_id: str
    channel_id: str
    message_id: int
    created_at: str
