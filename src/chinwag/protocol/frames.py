"""Typed WebSocket frames of the wire contract (docs/protocol.md).

Client frames are decoded into these structs and nothing past the codec sees raw dicts.
Unknown extra fields are ignored so that clients may be newer than the server.
"""

from __future__ import annotations

import msgspec


class ClientFrame(msgspec.Struct, tag_field="type", frozen=True):
    pass


class Hello(ClientFrame, tag="hello", frozen=True):
    token: str
    cursor: int | None = None


class EncryptedBody(msgspec.Struct, frozen=True):
    """A Megolm-encrypted message body, opaque to the server (stored, relayed unchanged)."""

    algorithm: str
    sender_key: str
    device_id: str
    session_id: str
    ciphertext: str


class Send(ClientFrame, tag="send", frozen=True):
    channel_id: str
    client_msg_id: str
    text: str = ""
    encrypted: EncryptedBody | None = None
    reply_to: int | None = None
    # Uploads of the sender (POST /v1/uploads); with at least one, text may be empty.
    attachment_ids: tuple[str, ...] = ()


class Sync(ClientFrame, tag="sync", frozen=True):
    cursor: int


class Ping(ClientFrame, tag="ping", frozen=True):
    pass


class Typing(ClientFrame, tag="typing", frozen=True):
    channel_id: str


class Read(ClientFrame, tag="read", frozen=True):
    channel_id: str
    message_id: int


class ToDeviceAck(ClientFrame, tag="to_device_ack", frozen=True):
    """This device has processed its to-device messages up to `seq`."""

    seq: int


AnyClientFrame = Hello | Send | Sync | Ping | Typing | Read | ToDeviceAck

# Server frames. Message frames are assembled from pre-encoded bytes (see codec), the
# rest are small and encoded as structs.


class Welcome(msgspec.Struct, tag="welcome", tag_field="type"):
    user_id: str
    device_id: str
    cursor: int
    heartbeat_interval: float
    gateway_id: str
    large_groups: list[LargeGroupHead] = []


class LargeGroupHead(msgspec.Struct):
    channel_id: str
    last_message_id: int


class Sent(msgspec.Struct, tag="sent", tag_field="type"):
    client_msg_id: str
    channel_id: str
    message_id: int
    created_at: str


class Synced(msgspec.Struct, tag="synced", tag_field="type"):
    cursor: int


class Reset(msgspec.Struct, tag="reset", tag_field="type"):
    cursor: int


class Pong(msgspec.Struct, tag="pong", tag_field="type"):
    pass


class ErrorFrame(msgspec.Struct, tag="error", tag_field="type"):
    code: str
    message: str
    ref: str | None = None
    retry_after: float | None = None


class PresenceFrame(msgspec.Struct, tag="presence", tag_field="type"):
    user_id: str
    status: str
    last_active_at: str | None


class TypingFrame(msgspec.Struct, tag="typing", tag_field="type"):
    channel_id: str
    user_id: str


class ReadFrame(msgspec.Struct, tag="read", tag_field="type"):
    channel_id: str
    user_id: str
    message_id: int
