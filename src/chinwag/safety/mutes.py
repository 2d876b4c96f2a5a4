"""Muting a channel, forever or until a time: no push for it except mentions of the
muted user. Unread counts move as ever; only notifications stop."""

from __future__ import annotations

from datetime import datetime

from chinwag.channels.service import ChannelService
from chinwag.clock import Clock, now_ms
from chinwag.errors import invalid
from chinwag.safety.store import SafetyStore

# Beyond any real date, yet an RFC 3339 time: what `muted_until` shows for "forever".
FOREVER = "9999-12-31T23:59:59.000Z"


def parse_time(text: str) -> int:
    """An RFC 3339 time (with an offset or Z) as milliseconds since the epoch."""
    try:
        when = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise invalid("until must be an RFC 3339 time") from None
    if when.tzinfo is None:
        raise invalid("until needs a time zone offset (or Z)")
    return int(when.timestamp() * 1000)


class MuteService:
    def __init__(self, store: SafetyStore, channels: ChannelService, clock: Clock):
        self._store = store
        self._channels = channels
        self._clock = clock

    async def mute(self, user_id: str, channel_id: str, until: str | None) -> None:
        await self._channels.member(channel_id, user_id)
        at: int | None = None
        if until is not None:
            at = parse_time(until)
            if at <= now_ms(self._clock):
                raise invalid("until must be in the future")
        await self._store.set_mute(user_id, channel_id, at)

    async def unmute(self, user_id: str, channel_id: str) -> None:
        await self._channels.member(channel_id, user_id)
        await self._store.clear_mute(user_id, channel_id)

    async def muted(self, user_id: str) -> dict[str, int | None]:
        """The user's muted channels now: channel_id to until (None: forever)."""
        return await self._store.mutes_of(user_id, now_ms(self._clock))

    async def is_muted(self, user_id: str, channel_id: str) -> bool:
        return await self._store.is_muted(user_id, channel_id, now_ms(self._clock))
