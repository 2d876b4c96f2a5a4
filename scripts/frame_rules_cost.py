"""What the per-frame checks of the gateway cost, in instructions per frame.

Counts the checks every client text frame now passes besides the codec (the frame rate,
reserved bits, UTF-8, the U+0000 pre-check), against the inline frame count they
replaced, on a typical `send` frame. Instruction counts do not depend on how busy the
machine is. Run each mode under callgrind and subtract the empty loop:

    for m in empty old rules; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python scripts/frame_rules_cost.py $m 2>&1 | grep Collected; done

(per frame = (mode - empty) / 100,000; add `utf8` after the mode for a non-ASCII frame.)
"""

from __future__ import annotations

import sys

from chinwag.protocol import framing, strings
from chinwag.protocol.session import Phase

N = 100_000
ASCII = (
    b'{"type":"send","channel_id":"c4h3k2j5l6m7n8p9q","client_msg_id":"m-000123",'
    b'"text":"hello there, how are you doing today?"}'
)
UTF8 = (
    '{"type":"send","channel_id":"c4h3k2j5l6m7n8p9q","client_msg_id":"m-000123",'
    '"text":"gr\u00fc\u00dfe, \u00e7a va? \u4f60\u597d how are you?"}'
).encode()


def main(mode: str, data: bytes) -> None:
    rate = framing.FrameRate(10**9, 0.0)
    rsv1 = rsv2 = rsv3 = False
    if mode == "rules":  # as gateway/connection.py and protocol/codec.py run them
        for _ in range(N):
            rate.over(1.0)
            rsv = rsv1 or rsv2 or rsv3
            if rsv:
                framing.check_frame(Phase.LIVE, False, bool(rsv))
            framing.check_text(data)
            strings.may_hold_nul(data)
    elif mode == "old":  # the inline frame count the checks replaced
        start, count = 0.0, 0
        for _ in range(N):
            now = 1.0
            if now - start >= 1.0:
                start, count = now, 0
            count += 1
            if count > 10**9:
                break
    else:
        for _ in range(N):
            pass


if __name__ == "__main__":
    main(sys.argv[1], UTF8 if sys.argv[2:] == ["utf8"] else ASCII)
