"""A bounded queue of events between a session and its one consumer."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class EventBuffer(Generic[T]):
    """A FIFO of at most `capacity` items that never blocks the producer.

    `offer` refuses an item when full instead of waiting, because the producer also
    handles acknowledgements and must not stall behind a slow consumer. After `close`,
    `take` drains what is left and then returns None.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(2, capacity)
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def offer(self, item: T) -> bool:
        if self._closed or self.full:
            return False
        self._items.append(item)
        self._ready.set()
        return True

    async def take(self) -> T | None:
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def close(self) -> None:
        self._closed = True
        self._ready.set()
