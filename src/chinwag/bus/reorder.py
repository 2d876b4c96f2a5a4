"""Putting one user's frames back in inbox-seq order. Pure, no I/O and no timers.

Frames from one publisher arrive in publish order, but two gateways storing messages for
the same user publish independently, so seq 11 (stored on gateway B) may overtake seq 10
(stored on gateway A). Per channel, delivery must follow message_id order, and a user's
seqs follow commit order, so ordering by seq restores it.

A frame ahead of the next expected seq is held until the missing ones arrive or the
caller gives up on them with `skip()` (after a short timer): those were dropped by the
bus, and the device's cursor repairs them. Until a first frame has been let go nothing
is known of where the seqs stand, so that first frame is held too (the caller's timer
for it is shorter), gathering frames that were published together. Frames behind the
expected seq (late, or duplicates) pass straight through, as do frames without a seq.
At most `max_held` frames are held; past that everything held is let go, in order.
"""

from __future__ import annotations

Ready = list[tuple[int, bytes]]


class SeqOrder:
    def __init__(self, max_held: int = 256) -> None:
        self._max_held = max_held
        self._next: int | None = None
        self._held: dict[int, bytes] = {}

    @property
    def holding(self) -> bool:
        return bool(self._held)

    @property
    def started(self) -> bool:
        """True once a frame has been let go (the next expected seq is known)."""
        return self._next is not None

    def offer(self, seq: int, data: bytes) -> Ready:
        """Frames ready to deliver now, in order (possibly none, possibly several)."""
        expected = self._next
        if seq <= 0 or (expected is not None and seq < expected):
            return [(seq, data)]
        out: Ready = []
        if seq == expected:
            out.append((seq, data))
            self._next = seq + 1
            self._drain(out)
            return out
        self._held[seq] = data
        while len(self._held) > self._max_held:
            out.extend(self.skip())
        return out

    def skip(self) -> Ready:
        """Give up on the seqs missing before the lowest one held: that one and those
        following it without a gap are let go; later ones stay held."""
        if not self._held:
            return []
        self._next = min(self._held)
        out: Ready = []
        self._drain(out)
        return out

    def _drain(self, out: Ready) -> None:
        held = self._held
        while held and self._next in held:
            seq = self._next
            assert seq is not None
            out.append((seq, held.pop(seq)))
            self._next = seq + 1
