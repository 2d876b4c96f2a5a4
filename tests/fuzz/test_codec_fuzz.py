"""The frame codec under arbitrary input: a typed frame or a FrameError, nothing else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.protocol import codec, framing, strings
from chinwag.protocol.frames import Hello, Read, Send, Sync
from tests.fuzz import hostile

LIMITS = codec.Limits(max_text_chars=50)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
frame_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "send", "sync", "ping", "typing", "read", "nope", ""])},
    optional={
        "token": json_values,
        "cursor": json_values,
        "channel_id": json_values,
        "client_msg_id": json_values,
        "text": json_values,
        "message_id": json_values,
    },
)


def _check(data: bytes) -> None:
    try:
        frame = codec.decode(data, LIMITS)
    except codec.FrameError as exc:
        assert exc.code.value == "invalid_request"
        assert exc.ref is None or (isinstance(exc.ref, str) and 0 < len(exc.ref) <= 64)
        return
    if isinstance(frame, Send):
        assert 1 <= len(frame.client_msg_id) <= 64 and 1 <= len(frame.text) <= 50
    if isinstance(frame, Sync | Hello) and frame.cursor is not None:
        assert 0 <= frame.cursor < 2**53
    if isinstance(frame, Read):
        assert 1 <= frame.message_id < 2**53
    assert not strings.holds_nul(frame)  # U+0000 never gets past the codec


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=600, deadline=None)
@given(frame_like)
def test_frame_shaped_json(obj: dict[str, object]) -> None:
    _check(json.dumps(obj).encode())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _check(text.encode("utf-8", "surrogatepass"))


def test_known_frames_round_trip() -> None:
    frame = codec.decode(
        b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"hi","extra":1}', LIMITS
    )
    assert frame == Send("c", "m", "hi")
    assert codec.decode(b'{"type":"hello","token":"t"}', LIMITS) == Hello("t", None)
    assert codec.message_frame(b'{"a":1}', 7) == b'{"type":"message","cursor":7,"message":{"a":1}}'
    assert (
        codec.message_frame(b'{"a":1}', None)
        == b'{"type":"message","cursor":null,"message":{"a":1}}'
    )


def test_lone_surrogates_are_refused() -> None:
    # A string that cannot be stored as UTF-8 is refused as the malformed JSON it is.
    for data in (
        b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"\\ud800"}',
        b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"a\\udfffb"}',
        b'{"type":"hello","token":"\\udfff"}',
    ):
        try:
            codec.decode(data, LIMITS)
        except codec.FrameError as exc:
            assert exc.code.value == "invalid_request"
        else:
            raise AssertionError(f"accepted {data!r}")
    # An escaped pair is one character, and fine.
    pair = b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"\\ud83d\\ude00"}'
    assert codec.decode(pair, LIMITS) == Send("c", "m", "\U0001f600")


@settings(max_examples=400, deadline=None)
@given(hostile.raw(frame_like))
def test_hostile_json(data: bytes) -> None:
    _check(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_utf8_rule_matches_the_codec_of_record(data: bytes) -> None:
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert (framing.check_text(data) is None) is valid
