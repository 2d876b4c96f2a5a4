"""Which strings are accepted as a reaction: one emoji (one grapheme cluster) or a short
name such as `thumbsup` or `:+1:`, 1 to 32 characters, never a control character."""

from __future__ import annotations

import re
import unicodedata

from chinwag.errors import invalid

MAX_EMOJI_CHARS = 32
_SHORT_NAME = re.compile(r":?[A-Za-z0-9_+\-]{1,30}:?")
_ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """Characters that continue the grapheme before them (UAX #29's Extend and
    SpacingMark, as far as emoji and accents need): marks, variation selectors, skin
    tones, emoji tags and the keycap."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= cp <= 0xFE0F
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def one_grapheme(text: str) -> bool:
    """True if `text` is one user-perceived character: a base character with what
    extends it, emoji joined by ZWJ, or a pair of regional indicators (a flag)."""
    if not text or _extends(text[0]) or text[0] == _ZWJ:
        return False
    if _regional(text[0]):
        return len(text) == 2 and _regional(text[1])
    i = 1
    while i < len(text):
        ch = text[i]
        if _extends(ch):
            i += 1
        elif ch == _ZWJ and i + 1 < len(text) and not _extends(text[i + 1]):
            i += 2  # ZWJ joins the next pictograph into the same cluster
        else:
            return False
    return True


def check_emoji(emoji: str) -> str:
    """The emoji if acceptable, else `invalid_request`."""
    if not 1 <= len(emoji) <= MAX_EMOJI_CHARS:
        raise invalid(f"a reaction is 1 to {MAX_EMOJI_CHARS} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") for ch in emoji):
        raise invalid("a reaction must not hold control characters")
    if _SHORT_NAME.fullmatch(emoji) or one_grapheme(emoji):
        return emoji
    raise invalid("a reaction is one emoji or a short name (letters, digits, _ + -)")
