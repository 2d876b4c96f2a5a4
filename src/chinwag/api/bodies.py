"""Request bodies of the HTTP API, validated at the edge (unknown fields are ignored).

Every integer field is a `WireInt`: JSON integers past 2^53 (or past 64 bits) are
refused here with 400, so none reaches storage, whose integers are 64-bit.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from chinwag.protocol.codec import MAX_INT

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
    avatar_url: str | None = None
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


class GroupChannelBody(Body, frozen=True):
    kind: Literal["group"]
    name: str
    member_ids: list[str] = []


class MemberBody(Body, frozen=True):
    user_id: str


class RoleBody(Body, frozen=True):
    role: Literal["admin", "member"]


class MessageBody(Body, frozen=True):
    client_msg_id: str
    text: str = ""
    attachment_ids: tuple[str, ...] = ()


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
