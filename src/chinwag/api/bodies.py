"""Request bodies of the HTTP API, validated at the edge (unknown fields are ignored).

Every integer field is a `WireInt`: JSON integers past 2^53 (or past 64 bits) are
refused here with 400, so none reaches storage, whose integers are 64-bit.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from chinwag.protocol.codec import MAX_INT
from chinwag.protocol.frames import EncryptedBody

WireInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]


class Body(msgspec.Struct, frozen=True):
    pass


class SignupBody(Body, frozen=True):
    username: str
    password: str
    display_name: str | None = None


class LoginBody(Body, frozen=True):
    username: str
    password: str
    device_name: str | None = None


class ProfileBody(Body, frozen=True):
    display_name: str | None = None
    avatar_id: str | None = None
    avatar_url: str | None = None  # "" only (or the avatar_url given out): no URLs
    status_text: str | None = None
    group_adds: Literal["friends", "anyone"] | None = None


class PasswordBody(Body, frozen=True):
    current_password: str
    new_password: str


class FriendRequestBody(Body, frozen=True):
    user_id: str


class ChannelKindBody(Body, frozen=True):
    kind: Literal["direct", "group"]


class DirectChannelBody(Body, frozen=True):
    kind: Literal["direct"]
    user_id: str
    encrypted: bool = False


class GroupChannelBody(Body, frozen=True):
    kind: Literal["group"]
    name: str
    member_ids: list[str] = []
    encrypted: bool = False


class ChannelPatchBody(Body, frozen=True):
    # Only `true` is accepted: encryption is never turned off.
    encrypted: Literal[True]


class MemberBody(Body, frozen=True):
    user_id: str


class RoleBody(Body, frozen=True):
    role: Literal["admin", "member"]


class MessageBody(Body, frozen=True):
    client_msg_id: str
    text: str = ""
    encrypted: EncryptedBody | None = None
    reply_to: WireInt | None = None
    attachment_ids: tuple[str, ...] = ()


class EditBody(Body, frozen=True):
    text: str


class ReadBody(Body, frozen=True):
    message_id: WireInt


class WebPushKeys(Body, frozen=True):
    p256dh: str
    auth: str


class PushSubscriptionBody(Body, frozen=True):
    kind: Literal["webpush", "fcm", "apns", "webhook"]
    endpoint: str | None = None
    keys: WebPushKeys | None = None
    token: str | None = None
    url: str | None = None


# End-to-end encryption: Matrix-shaped bodies; keys and contents stay raw JSON, stored and
# relayed exactly as sent (their signatures cover them).


class KeysUploadBody(Body, frozen=True):
    # Raw cannot be optional in msgspec: absent is empty, and JSON null counts as absent.
    device_keys: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    one_time_keys: dict[str, msgspec.Raw] = {}
    fallback_keys: dict[str, msgspec.Raw] = {}


class KeysQueryBody(Body, frozen=True):
    device_keys: dict[str, list[str]]


class KeysClaimBody(Body, frozen=True):
    one_time_keys: dict[str, dict[str, str]]


class ToDeviceBody(Body, frozen=True):
    messages: dict[str, dict[str, msgspec.Raw]]


class ToDeviceAckBody(Body, frozen=True):
    seq: WireInt


class BackupBody(Body, frozen=True):
    algorithm: str
    auth_data: msgspec.Raw


class BackupSessions(Body, frozen=True):
    sessions: dict[str, msgspec.Raw]


class BackupKeysBody(Body, frozen=True):
    version: str
    rooms: dict[str, BackupSessions]


class MuteBody(Body, frozen=True):
    until: str | None = None


class ReportBody(Body, frozen=True):
    channel_id: str
    message_id: WireInt
    reason: str


class DeleteAccountBody(Body, frozen=True):
    password: str
