"""Which channels are end-to-end encrypted, as the send path asks it once per message.

The flag only ever turns on, so a channel seen encrypted is remembered for good. A channel
seen plain is believed for `ttl` seconds: a send in another process within that window
after the owner turns encryption on may still be taken in plaintext (this process learns
at once through `mark`). Where no other process can turn it on (SQLite: one server owns
the data directory) `ttl` is infinite, so a channel costs one lookup, not one every
`ttl` seconds: with many quiet conversations that was a storage read before nearly every
send. Both maps are bounded; past the bound they start again empty.
"""

from __future__ import annotations

from collections.abc import Callable

from chinwag.channels.store import ChannelStore

PLAIN_TTL = 2.0
MAX_ENTRIES = 100_000


class EncryptedChannels:
    def __init__(
        self,
        store: ChannelStore,
        monotonic: Callable[[], float],
        *,
        ttl: float = PLAIN_TTL,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._store = store
        self._monotonic = monotonic
        self._ttl = ttl
        self._max = max_entries
        self._encrypted: set[str] = set()
        self._plain_until: dict[str, float] = {}

    def known(self, channel_id: str) -> bool | None:
        if channel_id in self._encrypted:
            return True
        until = self._plain_until.get(channel_id)
        if until is not None and until > self._monotonic():
            return False
        return None

    async def lookup(self, channel_id: str) -> bool | None:
        channel = await self._store.get_channel(channel_id, with_members=False)
        if channel is None:
            return None
        if channel.encrypted:
            self.mark(channel_id)
        else:
            if len(self._plain_until) >= self._max:
                self._plain_until.clear()
            self._plain_until[channel_id] = self._monotonic() + self._ttl
        return channel.encrypted

    def mark(self, channel_id: str) -> None:
        """Encryption was turned on for this channel."""
        if len(self._encrypted) >= self._max:
            self._encrypted.clear()
        self._encrypted.add(channel_id)
        self._plain_until.pop(channel_id, None)
