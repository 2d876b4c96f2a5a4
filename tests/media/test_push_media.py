"""Push says "sent a photo" or "sent a file" for messages that carry files; never the file."""

from __future__ import annotations

import msgspec
import pytest

from chinwag.bus.local import LocalBus
from chinwag.media.models import Attachment
from chinwag.messaging.models import Message, Stored
from chinwag.protocol.codec import ENCRYPTED_MARK
from chinwag.push.notification import Notification
from chinwag.push.trigger import PushEvent, PushTrigger
from tests.helpers.wait import wait_for


class NoAccounts:
    """The one call the trigger makes of accounts (a fake of our own Protocol)."""

    async def get_user(self, user_id: str) -> None:
        return None


def attachment(kind: str) -> Attachment:
    return Attachment("a1", "u1", "x", 10, kind, "0" * 64, None, None, False, 1)


@pytest.mark.parametrize(
    ("kinds", "text", "says"),
    [
        (["image/png", "image/jpeg"], "", "sent a photo"),
        (["image/png", "application/pdf"], "", "sent a file"),
        (["application/pdf"], "see this", "sent a file"),
    ],
)
async def test_push_names_the_kind_of_file(kinds: list[str], text: str, says: str) -> None:
    bus = LocalBus()
    events: list[PushEvent] = []
    bus.on_push(lambda data: events.append(msgspec.json.decode(data, type=PushEvent)))
    trigger = PushTrigger(
        bus, NoAccounts(), lambda _: False, lambda: 0.0, grace=0.0, include_text=False
    )  # type: ignore[arg-type]
    trigger.start()
    try:
        message = Message(
            "c1", 1, "u1", text, 1, "m1", attachments=tuple(attachment(k) for k in kinds)
        )
        trigger.on_stored(Stored(message, {"u1": 1, "u2": 1}, ("u1", "u2")))
        await wait_for(lambda: bool(events))
    finally:
        await trigger.close()
    [event] = events
    assert event.text is None  # the text stays out unless the operator lets it in
    note = Notification(event.channel_id, event.sender_id, "", event.count, None, event.media)
    assert note.summary() == says
    assert "a1" not in msgspec.json.encode(note.to_dict()).decode()


async def test_push_of_an_encrypted_message_names_no_kind_of_file() -> None:
    bus = LocalBus()
    events: list[PushEvent] = []
    bus.on_push(lambda data: events.append(msgspec.json.decode(data, type=PushEvent)))
    trigger = PushTrigger(
        bus, NoAccounts(), lambda _: False, lambda: 0.0, grace=0.0, include_text=True
    )  # type: ignore[arg-type]
    trigger.start()
    try:
        body = ENCRYPTED_MARK + '{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgA"}'
        message = Message("c1", 1, "u1", body, 1, "m1", attachments=(attachment("image/png"),))
        trigger.on_stored(Stored(message, {"u1": 1, "u2": 1}, ("u1", "u2")))
        await wait_for(lambda: bool(events))
    finally:
        await trigger.close()
    [event] = events
    assert event.text is None and event.media is None
