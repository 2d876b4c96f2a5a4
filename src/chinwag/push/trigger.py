"""Deciding who gets a push: members with no device online after the grace period.

Runs where messages are stored. For each new message of a direct channel or small group
it looks at each recipient other than the sender: one online now is skipped (a live
socket got the message, or a device is reconnecting within the grace period); one
offline is checked again once the grace period has passed, and pushed only if still
offline. Large groups are not pushed (members catch up when they open the group).

A recipient who muted the channel is pushed only for a message that mentions them
(@username); the latest such text of a burst is kept beside the latest text.

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
from chinwag.messaging.models import Stored
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
    text: str
    mention: str | None = None  # the latest text of the burst with an '@' in it
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
        mentions: Callable[[str, str], bool] | None = None,
    ) -> None:
        """`muted(user_id, channel_id)` and `mentions(text, username)` decide pushes of
        muted channels."""
        self._muted = muted
        self._mentions = mentions
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
                if "@" in message.text:
                    due.mention = message.text
            elif len(self._due) < self._max_pending:
                mention = message.text if "@" in message.text else None
                self._due[key] = _Due(at, message.sender_id, 1, message.text, mention, media)
            else:
                self.dropped += 1

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
            recipient = await self._accounts.get_user(user_id)
            if (
                recipient is None
                or due.mention is None
                or self._mentions is None
                or not self._mentions(due.mention, recipient.username)
            ):
                return
            due = _Due(due.at, due.sender_id, 1, due.mention, due.mention)
        sender = await self._accounts.get_user(due.sender_id)
        name = sender.display_name if sender is not None else ""
        event = PushEvent(
            user_id,
            channel_id,
            due.sender_id,
            name,
            due.count,
            # Push carries no content of an end-to-end encrypted message.
            due.text
            if self._include_text and due.text and not due.text.startswith(ENCRYPTED_MARK)
            else None,
            due.media,
        )
        self._bus.push(msgspec.json.encode(event))


def _media(attachments: tuple[Attachment, ...]) -> str | None:
    """What a push says of a message's files (never the files themselves)."""
    if not attachments:
        return None
    return "photo" if all(is_image(a.content_type) for a in attachments) else "file"
