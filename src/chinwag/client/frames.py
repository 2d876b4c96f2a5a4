"""Encoding client frames and decoding server frames: pure functions over bytes.

Decoding reads the `type` first, so a frame type this client does not know (the
contract lets servers add some) is skipped rather than treated as an error.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chinwag.client.events import (
    ChannelEvent,
    ErrorEvent,
    FriendEvent,
    MessageEvent,
    PresenceEvent,
    ReadEvent,
    ResetEvent,
    SyncedEvent,
    TypingEvent,
    UpdateEvent,
)

# -- client to server ------------------------------------------------------------------


class Hello(msgspec.Struct, tag="hello", tag_field="type", frozen=True, omit_defaults=True):
    token: str
    cursor: int | None = None


class Send(msgspec.Struct, tag="send", tag_field="type", frozen=True, omit_defaults=True):
    channel_id: str
    client_msg_id: str
    text: str
    attachment_ids: tuple[str, ...] = ()


class Sync(msgspec.Struct, tag="sync", tag_field="type", frozen=True):
    cursor: int


class Ping(msgspec.Struct, tag="ping", tag_field="type", frozen=True):
    pass


class StartTyping(msgspec.Struct, tag="typing", tag_field="type", frozen=True):
    channel_id: str


class MarkRead(msgspec.Struct, tag="read", tag_field="type", frozen=True):
    channel_id: str
    message_id: int


ClientFrame = Hello | Send | Sync | Ping | StartTyping | MarkRead

# -- server to client (those that are not events) --------------------------------------


class LargeGroupHead(msgspec.Struct, frozen=True):
    """The newest message id of a fan-out-on-read group, as of `welcome`."""

    channel_id: str
    last_message_id: int


class Welcome(msgspec.Struct, tag="welcome", tag_field="type", frozen=True):
    user_id: str
    device_id: str
    cursor: int
    heartbeat_interval: float
    gateway_id: str = ""
    large_groups: list[LargeGroupHead] = []


class Sent(msgspec.Struct, tag="sent", tag_field="type", frozen=True):
    client_msg_id: str
    channel_id: str
    message_id: int
    created_at: str


class Pong(msgspec.Struct, tag="pong", tag_field="type", frozen=True):
    pass


ServerFrame = (
    Welcome
    | Sent
    | Pong
    | ErrorEvent
    | MessageEvent
    | UpdateEvent
    | PresenceEvent
    | TypingEvent
    | ReadEvent
    | ChannelEvent
    | FriendEvent
    | SyncedEvent
    | ResetEvent
)


class FrameDecodeError(Exception):
    """A server frame that is not valid JSON, or a known frame with bad fields."""


class _Head(msgspec.Struct):
    type: str


_SERVER_TYPES: tuple[type[Any], ...] = (
    Welcome,
    Sent,
    Pong,
    ErrorEvent,
    MessageEvent,
    UpdateEvent,
    PresenceEvent,
    TypingEvent,
    ReadEvent,
    ChannelEvent,
    FriendEvent,
    SyncedEvent,
    ResetEvent,
)


class Codec:
    """Encoders and decoders for one session; holds no state between frames."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._head = msgspec.json.Decoder(_Head)
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {
            t.__struct_config__.tag: msgspec.json.Decoder(t) for t in _SERVER_TYPES
        }

    def encode(self, frame: ClientFrame) -> bytes:
        return self._encoder.encode(frame)

    def decode(self, data: bytes) -> ServerFrame | None:
        """The frame, or None for a frame type this client does not know."""
        try:
            kind = self._head.decode(data).type
            decoder = self._decoders.get(kind)
            if decoder is None:
                return None
            frame: ServerFrame = decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise FrameDecodeError(str(exc)) from None
        return frame
