"""Sends awaiting the server's acknowledgement."""

from __future__ import annotations

import asyncio

from chinwag.client.models import Ack


def _observe(future: asyncio.Future[Ack]) -> None:
    # A caller may stop waiting (cancelled) while its message stays queued; reading
    # the outcome here keeps asyncio from reporting it as never retrieved.
    if not future.cancelled():
        future.exception()


class Outbox:
    """Unacknowledged sends, oldest first, each with the future its sender awaits.

    An entry leaves only when the server acknowledges it (`sent`), refuses it (an
    `error` with its `client_msg_id` as `ref`), or the outbox fails as a whole. Until
    then `frames()` includes it, so every reconnect resends it with the same
    `client_msg_id`, which the server stores at most once. At most `capacity` entries
    are held; `add` waits for room.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self._pending: dict[str, tuple[bytes, asyncio.Future[Ack]]] = {}
        self._room = asyncio.Event()
        self._failure: BaseException | None = None

    def __len__(self) -> int:
        return len(self._pending)

    async def add(self, client_msg_id: str, frame: bytes) -> asyncio.Future[Ack]:
        while len(self._pending) >= self._capacity and self._failure is None:
            self._room.clear()
            await self._room.wait()
        if self._failure is not None:
            raise self._failure
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_observe)
        self._pending[client_msg_id] = (frame, future)
        return future

    def frames(self) -> list[bytes]:
        """The send frames of every pending entry, in the order they were added."""
        return [frame for frame, _ in self._pending.values()]

    def acknowledge(self, ack: Ack) -> bool:
        entry = self._pending.pop(ack.client_msg_id, None)
        if entry is None:
            return False  # a second ack for a resent message, or someone else's
        if not entry[1].done():
            entry[1].set_result(ack)
        self._room.set()
        return True

    def refuse(self, client_msg_id: str, error: BaseException) -> bool:
        entry = self._pending.pop(client_msg_id, None)
        if entry is None:
            return False
        if not entry[1].done():
            entry[1].set_exception(error)
        self._room.set()
        return True

    def fail_all(self, error: BaseException) -> None:
        """Fail every pending entry and every later `add` with `error`."""
        self._failure = error
        pending, self._pending = self._pending, {}
        for _, future in pending.values():
            if not future.done():
                future.set_exception(error)
        self._room.set()
