"""The session's bookkeeping of sync positions and duplicates. Pure: no I/O.

Two positions are kept. `received` is how far the session has taken messages in (it
resumes from there after a reconnect, since what it holds in memory is not lost);
`handed` is how far its consumer has finished (what goes to the cursor store, since
after a restart only that is certain). A `Commit` is the step one event makes; it is
applied to `received` when the event is queued and to `handed` when the consumer is
done with it, so both positions move by the same steps in the same order.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import msgspec

from chinwag.client.cursor import Position
from chinwag.client.models import Message


class Commit(msgspec.Struct, frozen=True):
    """A step of a position: a new inbox cursor and/or newer large-group message ids."""

    cursor: int | None = None
    large: tuple[tuple[str, int], ...] = ()

    def merged(self, other: Commit) -> Commit:
        return Commit(
            other.cursor if other.cursor is not None else self.cursor, self.large + other.large
        )


def apply(position: Position, commit: Commit) -> bool:
    """Advance `position` in place; True if anything changed.

    The inbox cursor becomes the commit's (the contract's "cursor of the last message
    frame processed"); a large group's mark only moves forward, because it is what
    history is fetched `after`.
    """
    changed = False
    if commit.cursor is not None and commit.cursor != position.cursor:
        position.cursor = commit.cursor
        changed = True
    for channel_id, message_id in commit.large:
        if message_id > position.large_groups.get(channel_id, -1):
            position.large_groups[channel_id] = message_id
            changed = True
    return changed


class SyncState:
    """Positions plus a bounded memory of delivered messages, to drop duplicates.

    A message counts as delivered once `remember` is called for it; the newest
    `capacity` of those are recognised by `seen`. Replays after a reconnect start
    just past `received`, so duplicates only come from the few frames in flight at
    a disconnect or from history fetched over HTTP, which a bounded memory covers.
    """

    def __init__(self, position: Position, capacity: int = 10_000) -> None:
        self.received = position.copy()
        self.handed = position.copy()
        self._seen: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._capacity = max(1, capacity)

    @property
    def fresh(self) -> bool:
        """True until the session has a cursor: it has never synced."""
        return self.received.cursor is None

    def start_at(self, cursor: int, large_groups: Iterable[tuple[str, int]]) -> None:
        """A fresh session's starting point: now, with nothing owed to the consumer."""
        for position in (self.received, self.handed):
            position.cursor = cursor
            position.large_groups.update(large_groups)

    def forget_groups_except(self, channel_ids: set[str]) -> bool:
        """Drop marks of large groups this user is no longer in; True if any were."""
        changed = False
        for position in (self.received, self.handed):
            for channel_id in [c for c in position.large_groups if c not in channel_ids]:
                del position.large_groups[channel_id]
                changed = True
        return changed

    def seen(self, message: Message) -> bool:
        return (message.channel_id, message.message_id) in self._seen

    def remember(self, message: Message) -> None:
        self._seen[(message.channel_id, message.message_id)] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)

    def on_received(self, commit: Commit) -> None:
        apply(self.received, commit)

    def on_handed(self, commit: Commit) -> bool:
        return apply(self.handed, commit)
