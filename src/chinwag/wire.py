"""Domain objects as the wire contract shows them (docs/protocol.md, "Objects").

Shared by the HTTP API, the gateway and the services that publish frames, so all speak
of a user, channel or message in exactly the same shape. It sits below the domains: it
names the fields it shows (the Protocols below) and imports none of the domain models,
which match them structurally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from chinwag.clock import rfc3339
from chinwag.protocol.codec import ENCRYPTED_MARK


class User(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def avatar_id(self) -> str | None: ...
    @property
    def status_text(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def group_adds(self) -> str: ...


class Attachment(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def width(self) -> int | None: ...
    @property
    def height(self) -> int | None: ...
    @property
    def created_at(self) -> int: ...


class Message(Protocol):
    @property
    def channel_id(self) -> str: ...
    @property
    def message_id(self) -> int: ...
    @property
    def sender_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def client_msg_id(self) -> str: ...
    @property
    def reply_to(self) -> int | None: ...
    @property
    def edited_at(self) -> int | None: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def reactions(self) -> Sequence[tuple[str, Sequence[str]]]: ...
    @property
    def mentions(self) -> Sequence[str]: ...
    @property
    def attachments(self) -> Sequence[Attachment]: ...


class Channel(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def fanout(self) -> str: ...
    @property
    def member_count(self) -> int: ...
    @property
    def last_message_id(self) -> int: ...
    @property
    def created_at(self) -> int: ...
    @property
    def members(self) -> Sequence[str] | None: ...
    @property
    def encrypted(self) -> bool: ...


class ChannelView(Protocol):
    @property
    def channel(self) -> Channel: ...
    @property
    def last_read_message_id(self) -> int: ...
    @property
    def unread(self) -> int: ...
    @property
    def role(self) -> str: ...


class FriendRequest(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def from_user_id(self) -> str: ...
    @property
    def to_user_id(self) -> str: ...
    @property
    def created_at(self) -> int: ...


class UserOut(msgspec.Struct):
    id: str
    username: str
    display_name: str
    avatar_url: str  # "" or avatar_url(avatar_id): a path on this server
    status_text: str
    created_at: str
    avatar_id: str | None


class MeOut(UserOut):
    """The caller's own profile: the public fields and the caller's settings."""

    group_adds: str


class AttachmentOut(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: str
    width: int | None = None  # images only
    height: int | None = None


class ExportedAttachmentOut(AttachmentOut, kw_only=True):
    """In the data export: where the file is downloaded from, on this server."""

    download_path: str


class MessageOut(msgspec.Struct, omit_defaults=True):
    channel_id: str
    message_id: int
    sender_id: str
    text: str
    created_at: str
    client_msg_id: str
    reply_to: int | None
    edited_at: str | None
    deleted: bool
    reactions: dict[str, list[str]]
    mentions: list[str]
    attachments: list[AttachmentOut]
    # End-to-end encrypted messages: the body exactly as stored, and `text` empty.
    encrypted: msgspec.Raw | None = None


class PresenceOut(msgspec.Struct):
    user_id: str
    status: str
    last_active_at: str | None


_encoder = msgspec.json.Encoder()


def avatar_url(avatar_id: str | None) -> str:
    """Where a user's avatar is shown from: the thumbnail of the uploaded image."""
    return f"/v1/attachments/{avatar_id}/thumbnail" if avatar_id else ""


def user(u: User) -> UserOut:
    return UserOut(
        u.id,
        u.username,
        u.display_name,
        avatar_url(u.avatar_id),
        u.status_text,
        rfc3339(u.created_at),
        u.avatar_id,
    )


def me(u: User) -> MeOut:
    return MeOut(
        u.id,
        u.username,
        u.display_name,
        avatar_url(u.avatar_id),
        u.status_text,
        rfc3339(u.created_at),
        u.avatar_id,
        u.group_adds,
    )


def attachment(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        a.id, a.name, a.size, a.content_type, a.sha256, rfc3339(a.created_at), a.width, a.height
    )


def download_path(attachment_id: str) -> str:
    return f"/v1/attachments/{attachment_id}"


def exported_message(m: Message) -> MessageOut:
    """A message as the data export shows it: its attachments also say where to
    download them."""
    out = message(m)
    out.attachments = [
        ExportedAttachmentOut(**msgspec.structs.asdict(a), download_path=download_path(a.id))
        for a in out.attachments
    ]
    return out


def message(m: Message, stamp: Callable[[int], str] = rfc3339) -> MessageOut:
    """`stamp` formats the creation time (a `clock.Stamps` on the send path)."""
    text, body = m.text, None
    if text.startswith(ENCRYPTED_MARK):
        text, body = "", msgspec.Raw(text[len(ENCRYPTED_MARK) :].encode())
    # A new message has no reactions, mentions or attachments: no copies to make.
    reactions, mentions, attachments = m.reactions, m.mentions, m.attachments
    return MessageOut(
        m.channel_id,
        m.message_id,
        m.sender_id,
        text,
        stamp(m.created_at),
        m.client_msg_id,
        m.reply_to,
        rfc3339(m.edited_at) if m.edited_at is not None else None,
        m.deleted,
        {emoji: list(users) for emoji, users in reactions} if reactions else {},
        list(mentions) if mentions else [],
        [attachment(a) for a in attachments] if attachments else [],
        body,
    )


def message_json(m: Message, stamp: Callable[[int], str] = rfc3339) -> bytes:
    """The message encoded once, shared by every frame that carries it."""
    return _encoder.encode(message(m, stamp))


def channel(c: Channel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "kind": c.kind,
        "name": c.name,
        "member_count": c.member_count,
        "last_message_id": c.last_message_id,
        "created_at": rfc3339(c.created_at),
        "large": c.fanout == "read",
        "encrypted": c.encrypted,
    }
    if c.members is not None:
        out["members"] = list(c.members)
    return out


def channel_view(v: ChannelView) -> dict[str, Any]:
    out = channel(v.channel)
    out["last_read_message_id"] = v.last_read_message_id
    out["unread_count"] = v.unread
    out["role"] = v.role
    return out


def friend_request(r: FriendRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "from_user_id": r.from_user_id,
        "to_user_id": r.to_user_id,
        "created_at": rfc3339(r.created_at),
    }


def presence(user_id: str, online: bool, last_active_ms: int | None) -> PresenceOut:
    return PresenceOut(
        user_id,
        "online" if online else "offline",
        rfc3339(last_active_ms) if last_active_ms is not None else None,
    )


def frame(type_: str, **fields: Any) -> bytes:
    """Encode a small server frame (not on the per-message hot path)."""
    return _encoder.encode({"type": type_, **fields})
