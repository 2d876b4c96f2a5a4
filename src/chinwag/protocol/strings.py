"""One rule for every string a client sends, on both storage engines: no U+0000.

PostgreSQL text cannot hold U+0000 while SQLite can, so the same request would be a
failure on one engine and a stored string on the other. chinwag refuses it at the edge
(HTTP bodies, paths and queries, WebSocket frames) with `invalid_request`, on both.

JSON can only carry U+0000 as the escape `\\u0000` (a raw NUL byte is malformed JSON),
so the raw bytes are searched first and decoded values are walked only when that escape
appears: the common frame pays one substring search.
"""

from __future__ import annotations

from typing import Any

import msgspec

NUL_REFUSED = "text must not contain U+0000"
_ESCAPE = b"\\u0000"
_BACKSLASH = 0x5C  # an int: `int in bytes` is a memchr, `bytes in bytes` a slower search


def may_hold_nul(raw: bytes | str) -> bool:
    """False when a JSON document certainly decodes to no U+0000. Most frames hold no
    backslash at all, which one byte search (memchr) shows."""
    if isinstance(raw, bytes):
        return _BACKSLASH in raw and raw.find(_ESCAPE) >= 0
    return "\\u0000" in raw


def holds_nul(value: Any) -> bool:
    """True if any string in a decoded value (struct, list, dict keys and values) holds
    U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, msgspec.Struct):
        return any(holds_nul(getattr(value, f)) for f in value.__struct_fields__)
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False
