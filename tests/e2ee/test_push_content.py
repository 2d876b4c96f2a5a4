"""Push for an encrypted message carries no content, even where the operator lets push
carry text."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import msgspec

from chinwag.messaging.models import Message, Stored
from chinwag.protocol.codec import ENCRYPTED_MARK
from chinwag.push.trigger import PushEvent, PushTrigger
from tests.helpers.wait import wait_for


class _Bus:
    def __init__(self) -> None:
        self.pushed: list[PushEvent] = []

    def push(self, data: bytes) -> None:
        self.pushed.append(msgspec.json.decode(data, type=PushEvent))

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None: ...


class _Accounts:
    async def get_user(self, user_id: str) -> Any:
        return None


async def test_encrypted_messages_push_without_text() -> None:
    bus = _Bus()
    trigger = PushTrigger(
        bus,  # type: ignore[arg-type]
        _Accounts(),  # type: ignore[arg-type]
        lambda user_id: False,
        time.monotonic,
        grace=0.0,
        include_text=True,
    )
    trigger.start()
    try:
        body = ENCRYPTED_MARK + '{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgA"}'
        for channel, text in (("plain", "hello"), ("secret", body)):
            message = Message(channel, 1, "sender", text, 0, "m")
            trigger.on_stored(Stored(message, {"sender": 1, "reader": 1}, ("sender", "reader")))
        await wait_for(lambda: len(bus.pushed) == 2)
    finally:
        await trigger.close()
    by_channel = {e.channel_id: e for e in bus.pushed}
    assert by_channel["plain"].text == "hello"
    assert by_channel["secret"].text is None and by_channel["secret"].user_id == "reader"
