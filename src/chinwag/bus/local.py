"""The in-process bus of the single-process mode: a direct call into the local gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chinwag.bus.base import BusSink, Control


class LocalBus:
    def __init__(self) -> None:
        self._sink: BusSink | None = None
        self._push: Callable[[bytes], None] | None = None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._sink = None

    def attach(self, sink: BusSink) -> None:
        self._sink = sink

    # The local gateway sees every publish and filters by its own registry.
    def watch_user(self, user_id: str) -> None:
        return None

    def unwatch_user(self, user_id: str) -> None:
        return None

    def watch_channel(self, channel_id: str) -> None:
        return None

    def unwatch_channel(self, channel_id: str) -> None:
        return None

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None:
        if self._sink is not None:
            self._sink.deliver_user(user_id, data, seq)

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None:
        sink = self._sink
        if sink is not None:
            for user_id in user_ids:
                sink.deliver_user(user_id, data, 0, sender)

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        if self._sink is not None:
            self._sink.deliver_channel(channel_id, data, seq, sender)

    def control(self, user_id: str, event: Control) -> None:
        if self._sink is not None:
            self._sink.control(user_id, event)

    def push(self, data: bytes) -> None:
        if self._push is not None:
            self._push(data)

    def on_push(self, handler: Callable[[bytes], None]) -> None:
        self._push = handler
