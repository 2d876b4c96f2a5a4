"""Per-device ordering of inbox frames by cursor. Pure: no I/O, no timers.

A device must see a user's inbox entries in seq order with no gaps, because its cursor
is the seq of the last message it processed: if it saw 11 before 10 and stopped, it
would resume after 11 and never see 10. Commits on PostgreSQL (or on other gateways)
can be published out of order, and the bus may drop a frame. So a frame ahead of the
next expected seq is held; when the gap closes the held frames go out in order, and if
it does not close soon, the caller fetches the missing entries from storage (`missing`)
and hands them to `fill`. Duplicates and frames already passed are dropped.
"""

from __future__ import annotations

Frame = tuple[int, bytes]


class Sequencer:
    def __init__(self, max_ahead: int = 1024) -> None:
        self.next: int | None = None
        self._ahead: dict[int, bytes] = {}
        self._max_ahead = max_ahead

    def start(self, after: int) -> None:
        """The device has everything up to `after`."""
        self.next = after + 1
        self._ahead = {s: d for s, d in self._ahead.items() if s > after}

    @property
    def waiting(self) -> bool:
        """Frames are held behind a gap."""
        return bool(self._ahead)

    @property
    def overflowing(self) -> bool:
        return len(self._ahead) > self._max_ahead

    def offer(self, seq: int, data: bytes) -> list[bytes]:
        """The frames that may be written now, in order."""
        expected = self.next
        if expected is None:
            return [data]
        if seq < expected:
            return []
        if seq > expected:
            self._ahead[seq] = data
            return []
        out = [data]
        self.next = expected + 1
        self._drain(out)
        return out

    def missing(self) -> tuple[int, int] | None:
        """(after, upto): the seqs to fetch to close the gap, or None if there is none."""
        if not self._ahead or self.next is None:
            return None
        return self.next - 1, min(self._ahead) - 1

    def fill(self, frames: list[Frame]) -> list[bytes]:
        """Entries fetched from storage (in seq order) close the gap."""
        out: list[bytes] = []
        for seq, data in frames:
            out.extend(self.offer(seq, data))
        return out

    def give_up(self) -> list[bytes]:
        """Stop waiting for what is missing: the held frames go out from the lowest."""
        if not self._ahead:
            return []
        self.next = min(self._ahead)
        out: list[bytes] = []
        self._drain(out)
        return out

    def _drain(self, out: list[bytes]) -> None:
        assert self.next is not None
        while self.next in self._ahead:
            out.append(self._ahead.pop(self.next))
            self.next += 1
