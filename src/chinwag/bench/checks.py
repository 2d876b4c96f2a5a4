"""Checking one gapless sequence as it arrives: message ids of a channel on a device, or a
device's inbox cursors.

The hot path is one comparison (`n == last + 1`). Anything else is classified exactly:
a jump records the skipped numbers as missing; a number that fills a recorded hole is
late (out of order); any other repeat is a duplicate. What is still missing at the end,
plus what never arrived past `last`, is lost.
"""

from __future__ import annotations

# A jump wider than this is counted, not remembered number by number (a gap that large
# is a failure either way; remembering it would only cost memory).
MAX_REMEMBERED_GAP = 100_000


class SeqTrack:
    """Expected to see baseline+1, baseline+2, ... exactly once each, in order."""

    __slots__ = ("count", "duplicates", "last", "late", "missing", "unremembered")

    def __init__(self, baseline: int) -> None:
        self.last = baseline
        self.count = 0  # distinct numbers seen
        self.duplicates = 0
        self.late = 0
        self.missing: set[int] | None = None
        self.unremembered = 0

    def see(self, n: int) -> bool:
        """Record `n`; True when it is new (counted), False for a duplicate."""
        last = self.last
        if n == last + 1:
            self.last = n
            self.count += 1
            return True
        if n > last:
            gap = n - last - 1
            if gap > MAX_REMEMBERED_GAP:
                self.unremembered += gap
            else:
                if self.missing is None:
                    self.missing = set()
                self.missing.update(range(last + 1, n))
            self.last = n
            self.count += 1
            return True
        if self.missing is not None and n in self.missing:
            self.missing.discard(n)
            self.late += 1
            self.count += 1
            return True
        self.duplicates += 1
        return False

    @property
    def holes(self) -> int:
        """Numbers skipped and not (yet) filled."""
        return (len(self.missing) if self.missing else 0) + self.unremembered

    def lost(self, expected_last: int) -> int:
        """How many of baseline+1 .. expected_last never arrived."""
        return self.holes + max(0, expected_last - self.last)

    @property
    def clean(self) -> bool:
        return self.duplicates == 0 and self.late == 0 and self.holes == 0
