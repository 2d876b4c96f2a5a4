"""Pure rules of message changes: reactions, mentions, search queries, update frames."""

from __future__ import annotations

import json

import pytest

from chinwag.errors import ChinwagError
from chinwag.messaging.mentions import usernames_in
from chinwag.messaging.reactions import check_emoji, one_grapheme
from chinwag.messaging.search import parse
from chinwag.protocol import codec
from chinwag.protocol.frames import Send


@pytest.mark.parametrize(
    "emoji",
    ["👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", "é", "e\u0301", "thumbsup", ":+1:", "x" * 30, "🏳️‍🌈"],
)
def test_reactions_accepted(emoji: str) -> None:
    assert check_emoji(emoji) == emoji


@pytest.mark.parametrize(
    "emoji",
    ["", "x" * 33, "a\u0007", "\x00", "👍👍", "\u200d", "\u0301", "hello world", "a\nb", "🇫"[:0]],
)
def test_reactions_refused(emoji: str) -> None:
    with pytest.raises(ChinwagError) as err:
        check_emoji(emoji)
    assert err.value.code == "invalid_request"


def test_one_grapheme() -> None:
    assert one_grapheme("🇫🇷") and not one_grapheme("🇫🇷🇫") and not one_grapheme("ab")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("hi @bob", ["bob"]),
        ("@BOB: look", ["bob"]),
        ("(@bob) and @ann.", ["bob", "ann"]),
        ("mail bob@bob.org", []),
        ("@bob.smith", ["bob.smith"]),
        ("@bob @bob", ["bob"]),
        ("no at all", []),
        ("@", []),
    ],
)
def test_usernames_in(text: str, names: list[str]) -> None:
    assert usernames_in(text) == names


def test_search_parse() -> None:
    q = parse("u1", '  "a"  NEAR * a ', channel_id=None, before=None, limit=None)
    assert q.terms == ('"a"', "NEAR", "*", "a") and q.limit == 50
    for bad in ("", "   ", "x" * 257, "a b c d e f g h i"):
        with pytest.raises(ChinwagError):
            parse("u1", bad, channel_id=None, before=None, limit=None)
    for limit in (0, 101):
        with pytest.raises(ChinwagError):
            parse("u1", "x", channel_id=None, before=None, limit=limit)
    with pytest.raises(ChinwagError):
        parse("u1", "x", channel_id=None, before=5, limit=None)


def test_update_frame_and_reply_to() -> None:
    frame = json.loads(codec.update_frame("edited", b'{"message_id":3}', 9))
    assert frame == {"type": "update", "cursor": 9, "event": "edited", "message": {"message_id": 3}}
    assert json.loads(codec.update_frame("deleted", b"{}", None))["cursor"] is None
    assert json.loads(codec.entry_frame(None, b"{}", 4))["type"] == "message"
    limits = codec.Limits()
    sent = codec.decode(
        b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"t","reply_to":2}', limits
    )
    assert isinstance(sent, Send) and sent.reply_to == 2
    with pytest.raises(codec.FrameError) as err:
        codec.decode(
            b'{"type":"send","channel_id":"c","client_msg_id":"m","text":"t","reply_to":0}', limits
        )
    assert err.value.ref == "m"
