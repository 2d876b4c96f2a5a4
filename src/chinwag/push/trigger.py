"""Deciding who gets a push: members with no device online after the grace period.

Runs where messages are stored. For each new message of a direct channel or small group
it looks at each recipient other than the sender: one online now is skipped (a live
socket got the message, or a device is reconnecting within the grace period); one
offline is checked again once the grace period has passed, and pushed only if still
offline. Large groups are not pushed (members catch up when they open the group).

A recipient who muted the channel is pushed only for a message that mentions them
(@username, as resolved to members when the message was sent: `Message.mentions`); the
latest such text of a burst is kept beside the latest text.

Due checks wait in a dict keyed by (user, channel) and are swept by one task, so a busy
channel costs one entry, not one timer per message; the dict is bounded and overflow is
dropped (the message is in history regardless).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec

from chinwag.accounts.store import AccountStore
from chinwag.events import Publisher
from chinwag.media.models import Attachment
from chinwag.media.sniff import is_image
from chinwag.messaging.models import Message, Stored
from chinwag.protocol.codec import ENCRYPTED_MARK

log = logging.getLogger("chinwag.push")


class PushEvent(msgspec.Struct, frozen=True):
    """What crosses the bus to the push role: one message for one offline user."""

    user_id: str
    channel_id: str
    sender_id: str
    sender_name: str
    count: int
    text: str | None = None
    media: str | None = None  # "photo" or "file": what the newest message carried


@dataclass
class _Due:
    at: float
    sender_id: str
    count: int
    text: str | None  # the latest message's text; None once that message was deleted
    message_id: int = 0  # the latest message's id
    mention: str | None = None  # the latest text of the burst that mentions the recipient
    mention_id: int = 0  # its message's id
    media: str | None = None  # "photo" or "file": what the latest message carried


class PushTrigger:
    def __init__(
        self,
        bus: Publisher,
        accounts: AccountStore,
        is_online: Callable[[str], bool],
        monotonic: Callable[[], float],
        *,
        grace: float,
        include_text: bool,
        max_pending: int = 100_000,
        muted: Callable[[str, str], Awaitable[bool]] | None = None,
    ) -> None:
        """`muted(user_id, channel_id)` says whether a recipient muted a channel."""
        self._muted = muted
        self._bus = bus
        self._accounts = accounts
        self._is_online = is_online
        self._monotonic = monotonic
        self._grace = grace
        self._include_text = include_text
        self._max_pending = max_pending
        self._due: dict[tuple[str, str], _Due] = {}
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def on_stored(self, stored: Stored) -> None:
        if not stored.cursors:
            return
        message = stored.message
        at = self._monotonic() + self._grace
        for user_id in stored.cursors:
            if user_id == message.sender_id or self._is_online(user_id):
                continue
            key = (user_id, message.channel_id)
            due = self._due.get(key)
            # Push carries no content of an end-to-end encrypted message, nor its kind.
            media = None if message.text.startswith(ENCRYPTED_MARK) else _media(message.attachments)
            if due is not None:
                due.count += 1
                due.sender_id, due.text, due.media = message.sender_id, message.text, media
                due.message_id = message.message_id
                if user_id in message.mentions:
                    due.mention, due.mention_id = message.text, message.message_id
            elif len(self._due) < self._max_pending:
                self._due[key] = _Due(
                    at, message.sender_id, 1, message.text, message.message_id, media=media
                )
                if user_id in message.mentions:
                    self._due[key].mention = message.text
                    self._due[key].mention_id = message.message_id
            else:
                self.dropped += 1

    async def on_deleted(self, message: Message) -> None:
        """A deleted message leaves the pushes not yet sent: alone, its push goes; in a
        burst, the burst is pushed without its text and files."""
        for key, due in list(self._due.items()):
            if key[1] != message.channel_id:
                continue
            if due.mention_id == message.message_id:
                due.mention = None
            if due.message_id != message.message_id:
                continue
            if due.count == 1:
                del self._due[key]
            else:
                due.count -= 1
                due.text, due.media = None, None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sweep())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sweep(self) -> None:
        step = max(0.05, min(0.5, self._grace / 4))
        while True:
            await asyncio.sleep(step)
            now = self._monotonic()
            ready = [(k, d) for k, d in self._due.items() if d.at <= now]
            for key, _ in ready:
                del self._due[key]
            for (user_id, channel_id), due in ready:
                if self._is_online(user_id):
                    continue
                try:
                    await self._emit(user_id, channel_id, due)
                except Exception:
                    log.exception("push trigger failed for %s", user_id)

    async def _emit(self, user_id: str, channel_id: str, due: _Due) -> None:
        if self._muted is not None and await self._muted(user_id, channel_id):
            if due.mention is None:
                return
            due = _Due(due.at, due.sender_id, 1, due.mention, due.mention_id)
        sender = await self._accounts.get_user(due.sender_id)
        name = sender.display_name if sender is not None else ""
        # Push carries no content of an end-to-end encrypted message.
        text = due.text if self._include_text else None
        if not text or text.startswith(ENCRYPTED_MARK):
            text = None
        event = PushEvent(
            user_id,
            channel_id,
            due.sender_id,
            name,
            due.count,
            text,
            due.media,
        )
        self._bus.push(msgspec.json.encode(event))


def _media(attachments: tuple[Attachment, ...]) -> str | None:
    """What a push says of a message's files (never the files themselves)."""
    if not attachments:
        return None
    return "photo" if all(is_image(a.content_type) for a in attachments) else "file"
