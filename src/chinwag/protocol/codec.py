"""Decoding client frames and encoding server frames.

Pure functions over bytes: no sockets, no clock, no storage, so the codec is fuzzed
directly. Decoding either returns a typed frame or raises `FrameError`, whose `ref`
echoes the client's request id when one could be read from the bad frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from chinwag.errors import Code
from chinwag.protocol import strings
from chinwag.protocol.frames import (
    AnyClientFrame,
    EncryptedBody,
    Hello,
    Read,
    Send,
    Sync,
    ToDeviceAck,
)

_decoder: msgspec.json.Decoder[AnyClientFrame] = msgspec.json.Decoder(AnyClientFrame)  # type: ignore[arg-type]
_loose: msgspec.json.Decoder[Any] = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()

MAX_CLIENT_MSG_ID = 64
MAX_INT = (1 << 53) - 1


class FrameError(Exception):
    """A client frame that cannot be accepted. Answered with an `error` frame."""

    def __init__(self, code: Code, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


@dataclass(frozen=True)
class Limits:
    max_text_chars: int = 100_000


def _ref_of(data: bytes | str) -> str | None:
    try:
        obj = _loose.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None
    if isinstance(obj, dict):
        for key in ("client_msg_id", "ref", "id"):
            value = obj.get(key)
            if isinstance(value, str) and 0 < len(value) <= MAX_CLIENT_MSG_ID:
                return value
    return None


def decode(data: bytes | str, limits: Limits) -> AnyClientFrame:
    """Parse and validate one client text frame."""
    try:
        frame = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise FrameError(Code.INVALID_REQUEST, f"invalid frame: {exc}", _ref_of(data)) from None
    except (msgspec.DecodeError, ValueError):
        raise FrameError(Code.INVALID_REQUEST, "frame is not valid JSON") from None
    except RecursionError:
        raise FrameError(Code.INVALID_REQUEST, "frame is nested too deeply") from None
    if strings.may_hold_nul(data) and strings.holds_nul(frame):
        raise FrameError(Code.INVALID_REQUEST, strings.NUL_REFUSED, _ref_of(data))
    if isinstance(frame, Send):
        _check_send(frame, limits)
    elif isinstance(frame, Sync):
        if not 0 <= frame.cursor <= MAX_INT:
            raise FrameError(Code.INVALID_REQUEST, "cursor out of range")
    elif isinstance(frame, Read):
        if not 1 <= frame.message_id <= MAX_INT:
            raise FrameError(Code.INVALID_REQUEST, "message_id out of range")
    elif isinstance(frame, ToDeviceAck):
        if not 0 <= frame.seq <= MAX_INT:
            raise FrameError(Code.INVALID_REQUEST, "seq out of range")
    elif isinstance(frame, Hello) and frame.cursor is not None and not 0 <= frame.cursor <= MAX_INT:
        raise FrameError(Code.INVALID_REQUEST, "cursor out of range")
    return frame


def _check_send(frame: Send, limits: Limits) -> None:
    if not 1 <= len(frame.client_msg_id) <= MAX_CLIENT_MSG_ID:
        raise FrameError(Code.INVALID_REQUEST, "client_msg_id must be 1 to 64 characters")
    ref = frame.client_msg_id
    if frame.encrypted is not None:
        problem = encrypted_problem(frame.text, frame.encrypted, limits.max_text_chars)
        if problem:
            raise FrameError(Code.INVALID_REQUEST, problem, ref)
    elif not frame.text and not frame.attachment_ids:
        raise FrameError(Code.INVALID_REQUEST, "text must not be empty", ref)
    elif frame.text.startswith(ENCRYPTED_MARK):
        raise FrameError(Code.INVALID_REQUEST, MARK_REFUSED, ref)
    if len(frame.text) > limits.max_text_chars:
        raise FrameError(
            Code.INVALID_REQUEST, f"text is longer than {limits.max_text_chars} characters", ref
        )
    if not frame.channel_id:
        raise FrameError(Code.INVALID_REQUEST, "channel_id must not be empty", ref)
    if frame.reply_to is not None and not 1 <= frame.reply_to <= MAX_INT:
        raise FrameError(Code.INVALID_REQUEST, "reply_to is not a message of this channel", ref)


# Storage keeps an encrypted body in the message's text column behind this mark (so both
# engines' send transactions stay as they are); plaintext may not begin with it.
ENCRYPTED_MARK = "\x01e2ee:"
MARK_REFUSED = "text must not begin with U+0001"
MEGOLM = "m.megolm.v1.aes-sha2"
MAX_KEY_ID = 256


def encrypted_problem(text: str, body: EncryptedBody, max_text_chars: int) -> str | None:
    """Why an encrypted send is refused, or None. Ciphertext is unpadded base64 of the
    Megolm message, about 4/3 of the plaintext event plus a fixed overhead."""
    if text:
        return "an encrypted message carries no text"
    if body.algorithm != MEGOLM:
        return f"encrypted.algorithm must be {MEGOLM}"
    for name in ("sender_key", "device_id", "session_id"):
        if not 1 <= len(getattr(body, name)) <= MAX_KEY_ID:
            return f"encrypted.{name} must be 1 to {MAX_KEY_ID} characters"
    if not 1 <= len(body.ciphertext) <= 2 * max_text_chars + 4096:
        return "encrypted.ciphertext is empty or too long"
    return None


def encode(frame: msgspec.Struct) -> bytes:
    return _encoder.encode(frame)


def encode_obj(obj: Any) -> bytes:
    return _encoder.encode(obj)


# Message frames are the hot path: the message body is encoded once per message and
# shared by every recipient; only the cursor differs between users.
_MSG_MIDDLE = b',"message":'
_MSG = b'{"type":"message","cursor":%d,"message":%b}'
_MSG_NULL = b'{"type":"message","cursor":null,"message":%b}'


def message_frame(message_json: bytes, cursor: int | None) -> bytes:
    if cursor is None:
        return _MSG_NULL % message_json
    return _MSG % (cursor, message_json)


def update_frame(event: str, message_json: bytes, cursor: int | None) -> bytes:
    """`update`: a change to a message, carrying its whole current state."""
    head = b"null" if cursor is None else str(cursor).encode()
    return b"".join(
        (
            b'{"type":"update","cursor":',
            head,
            b',"event":"',
            event.encode(),
            b'"',
            _MSG_MIDDLE,
            message_json,
            b"}",
        )
    )


def entry_frame(event: str | None, message_json: bytes, cursor: int) -> bytes:
    """The frame of an inbox entry: a new message, or a change to one."""
    if event is None:
        return message_frame(message_json, cursor)
    return update_frame(event, message_json, cursor)
