"""Member lists of fan-out-on-read channels, as of a `members_version`.

A send into a large group must report every member id, and reading tens of thousands of
rows per message would dominate its cost. The send function instead compares the version
the caller holds with the channel's and returns the list only when they differ. An entry
is only ever used for the exact version the database confirmed under the channel lock,
so a stale entry costs one reload, never a wrong answer.

Bounded by the number of ids held; the oldest entries go first. Per store instance.
"""

from __future__ import annotations

from collections import OrderedDict

# Sent when nothing is cached; members_version starts at 0.
NO_VERSION = -1


class MemberCache:
    def __init__(self, max_ids: int = 1_000_000) -> None:
        self._max_ids = max_ids
        self._held = 0
        self._entries: OrderedDict[str, tuple[int, tuple[str, ...]]] = OrderedDict()

    def get(self, channel_id: str) -> tuple[int, tuple[str, ...]] | None:
        return self._entries.get(channel_id)

    def put(self, channel_id: str, version: int, members: tuple[str, ...]) -> None:
        old = self._entries.pop(channel_id, None)
        if old is not None:
            self._held -= len(old[1])
        if len(members) > self._max_ids:
            return
        self._entries[channel_id] = (version, members)
        self._held += len(members)
        while self._held > self._max_ids:
            _, (_, evicted) = self._entries.popitem(last=False)
            self._held -= len(evicted)
