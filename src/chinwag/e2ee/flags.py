"""Whether a channel is end-to-end encrypted, read from storage, for edits (an edit of a
message there is refused). Sends do not ask here: the engine checks the flag inside the
send's own transaction, with the channel's row locked, so no process of a cluster takes a
plaintext send once encryption is on, and a send costs no read of its own for it."""

from __future__ import annotations

from chinwag.channels.store import ChannelStore


class EncryptedChannels:
    def __init__(self, store: ChannelStore) -> None:
        self._store = store

    async def lookup(self, channel_id: str) -> bool | None:
        """The flag; None when there is no such channel."""
        channel = await self._store.get_channel(channel_id, with_members=False)
        return None if channel is None else channel.encrypted
