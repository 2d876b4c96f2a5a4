"""WebSocket framing of server-to-client text messages (RFC 6455 §5.2), pure.

Server frames are unmasked, so a frame is a 2, 4 or 10 byte header followed by the
payload as is. Building them here lets the gateway hand many frames to the kernel in one
write per socket per event-loop turn instead of one system call per frame.
"""

from __future__ import annotations

import struct

_FIN_TEXT = 0x81
# Every frame has one: the short headers are made once, the others by compiled structs.
_SHORT = tuple(bytes((_FIN_TEXT, n)) for n in range(126))
_MEDIUM = struct.Struct("!BBH").pack
_LONG = struct.Struct("!BBQ").pack


def text_header(length: int) -> bytes:
    """The header of a final, unmasked text frame carrying `length` payload bytes."""
    if length < 126:
        return _SHORT[length]
    if length < 1 << 16:
        return _MEDIUM(_FIN_TEXT, 126, length)
    return _LONG(_FIN_TEXT, 127, length)
