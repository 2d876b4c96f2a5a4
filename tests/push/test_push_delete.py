"""A deleted message leaves the pushes not yet sent."""

from __future__ import annotations

from typing import Any

import msgspec

from chinwag.clock import FakeClock
from chinwag.messaging.models import Message, Stored
from chinwag.push.trigger import PushTrigger
from tests.helpers.wait import wait_for


class _Bus:
    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []

    def push(self, data: bytes) -> None:
        self.pushed.append(msgspec.json.decode(data))


class _Accounts:
    async def get_user(self, user_id: str) -> None:
        return None


def _stored(channel: str, mid: int, text: str) -> Stored:
    m = Message(channel, mid, "sender", text, 0, f"c{mid}")
    return Stored(m, {"sender": mid, "away": mid}, ("sender", "away"))


async def test_deleted_message_is_not_pushed() -> None:
    clock, bus = FakeClock(), _Bus()
    trigger = PushTrigger(
        bus,  # type: ignore[arg-type]
        _Accounts(),  # type: ignore[arg-type]
        lambda user_id: False,
        clock.monotonic,
        grace=0.2,
        include_text=True,
    )
    alone, burst, kept = _stored("c1", 1, "oops"), _stored("c2", 1, "one"), _stored("c3", 1, "ok")
    for s in (alone, burst, _stored("c2", 2, "secret"), kept):
        trigger.on_stored(s)
    await trigger.on_deleted(alone.message)
    await trigger.on_deleted(Message("c2", 2, "sender", "secret", 0, "c2"))
    trigger.start()
    clock.advance(1.0)
    await wait_for(lambda: len(bus.pushed) >= 2)
    await trigger.close()
    by_channel = {p["channel_id"]: p for p in bus.pushed}
    assert set(by_channel) == {"c2", "c3"}  # c1's only message was deleted
    assert by_channel["c2"]["count"] == 1 and by_channel["c2"].get("text") is None
    assert by_channel["c3"]["text"] == "ok"
    assert "secret" not in str(bus.pushed)
