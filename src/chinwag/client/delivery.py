"""The hand-over between a session and its consumer, and the positions it moves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from chinwag.client.buffer import EventBuffer
from chinwag.client.cursor import CursorStore
from chinwag.client.events import Event, MessageEvent
from chinwag.client.sync import Commit, SyncState

log = logging.getLogger("chinwag.client")

# An event with the position step it makes; None for a step alone (a duplicate).
_Item = tuple[Event | None, Commit | None]


class Delivery:
    """A bounded queue of events for one consumer, deduplicated, with positions.

    Guarantees: an event that moves the position (a message, `synced`, `reset`) is
    either queued, or refused and the queue marked `lagging`, after which every such
    event is refused until the connection is replaced; so what is queued never has a
    gap, and what was refused is fetched again from `received`. A message already
    delivered is not shown twice, but its position step still applies. The stored
    position (`handed`) moves only when the consumer comes back for the next event.
    """

    def __init__(self, store: CursorStore, capacity: int, remember: int) -> None:
        self._store = store
        self.state = SyncState(store.load(), remember)
        self._buffer: EventBuffer[_Item] = EventBuffer(capacity)
        self._pending: Commit | None = None
        self.lagging = False

    @property
    def caught_up(self) -> bool:
        """True when a lagging consumer has emptied half the queue: time to refetch."""
        return self.lagging and len(self._buffer) <= self._buffer.capacity // 2

    def deliver(self, event: Event, commit: Commit) -> bool:
        """Queue an event that moves the position; False (and lagging) when full."""
        if self.lagging or self._buffer.full:
            self.lagging = True
            return False
        shown: Event | None = event
        if isinstance(event, MessageEvent):
            if self.state.seen(event.message):
                shown = None
            else:
                self.state.remember(event.message)
        self.state.on_received(commit)
        self._buffer.offer((shown, commit))
        return True

    def deliver_all(self, items: list[tuple[Event, Commit]]) -> bool:
        return all(self.deliver(event, commit) for event, commit in items)

    def offer(self, event: Event) -> None:
        """Queue an event that can be lost without harm (presence, notices, ...)."""
        if not self.lagging:
            self._buffer.offer((event, None))

    async def next(self) -> Event | None:
        """The next event for the consumer (who is done with the previous one), or
        None once closed and drained."""
        while True:
            self.finish_pending()
            item = await self._buffer.take()
            if item is None:
                return None
            event, self._pending = item
            if event is not None:
                return event

    def finish_pending(self) -> None:
        """The consumer is done with the last event: store the position it reached."""
        commit, self._pending = self._pending, None
        if commit is not None and self.state.on_handed(commit):
            self.persist()

    def persist(self) -> None:
        try:
            self._store.save(self.state.handed.copy())
        except OSError as exc:
            # Not fatal: the worst outcome is a replay the next run deduplicates.
            log.warning("cannot save the sync position: %s", exc)

    def close(self) -> None:
        self._buffer.close()


class EventStream:
    """The async iterator `ChatSession.events()` returns: a class rather than an async
    generator, so a consumer that stops early leaves nothing to finalize."""

    def __init__(self, next_event: Callable[[], Awaitable[Event]]) -> None:
        self._next_event = next_event

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        return await self._next_event()
