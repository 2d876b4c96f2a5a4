"""WebSocket framing of server-to-client text messages (RFC 6455 §5.2), pure.

Server frames are unmasked, so a frame is a 2, 4 or 10 byte header followed by the
payload as is. Building them here lets the gateway hand many frames to the kernel in one
write per socket per event-loop turn instead of one system call per frame.
"""

from __future__ import annotations

import struct

_FIN_TEXT = 0x81


def text_header(length: int) -> bytes:
    """The header of a final, unmasked text frame carrying `length` payload bytes."""
    if length < 126:
        return bytes((_FIN_TEXT, length))
    if length < 1 << 16:
        return struct.pack("!BBH", _FIN_TEXT, 126, length)
    return struct.pack("!BBQ", _FIN_TEXT, 127, length)
