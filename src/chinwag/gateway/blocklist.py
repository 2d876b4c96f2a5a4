"""Who one socket's user has blocked or is blocked by: frames from those users (typing,
presence; the bus marks them with their sender) are not handed to the socket.

Loaded from storage once, at hello, and kept current by `BlockChanged` events, which the
bus brings to every gateway holding a socket of either user; so a frame costs one set
lookup and no read. Until the load is in, frames from any sender are held back (they are
ephemeral: a lost typing indicator shows nothing, and presence is looked up on demand),
and events seen meanwhile are applied after it, so none is lost to the race.
"""

from __future__ import annotations

from chinwag.events import BlockChanged

_BLOCKING = 1  # this user blocked them
_BLOCKED_BY = 2  # they blocked this user


class BlockList:
    __slots__ = ("_bits", "_early")

    def __init__(self) -> None:
        # other user -> _BLOCKING | _BLOCKED_BY; None while empty (most users block no one).
        self._bits: dict[str, int] | None = None
        # While loading: the last state seen per (other, direction), replayed after the
        # load; a dict, so it never holds more than one entry per block.
        self._early: dict[tuple[str, int], bool] | None = {}

    def hides(self, sender: str) -> bool:
        if self._early is not None:
            return True
        bits = self._bits
        return bits is not None and sender in bits

    def loaded(self, blocking: list[str], blocked_by: list[str]) -> None:
        for other in blocking:
            self._set(other, _BLOCKING, True)
        for other in blocked_by:
            self._set(other, _BLOCKED_BY, True)
        early, self._early = self._early, None
        for (other, bit), on in (early or {}).items():
            self._set(other, bit, on)

    def apply(self, user_id: str, event: BlockChanged) -> None:
        """A block to or from `user_id` (this socket's user) changed."""
        if event.blocker_id == user_id:
            other, bit = event.blocked_id, _BLOCKING
        elif event.blocked_id == user_id:
            other, bit = event.blocker_id, _BLOCKED_BY
        else:
            return
        if self._early is not None:
            self._early[other, bit] = event.blocked
        else:
            self._set(other, bit, event.blocked)

    def _set(self, other: str, bit: int, on: bool) -> None:
        bits = self._bits
        if on:
            if bits is None:
                bits = self._bits = {}
            bits[other] = bits.get(other, 0) | bit
        elif bits is not None and other in bits:
            left = bits[other] & ~bit
            if left:
                bits[other] = left
            else:
                del bits[other]
                if not bits:
                    self._bits = None
