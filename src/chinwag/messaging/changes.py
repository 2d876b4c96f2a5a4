"""Edits, deletes and reactions: who may make them, and how every device learns of them.

Each change is checked (`check_*`), then stored by `MessageStore.change` in one
transaction that also appends an inbox entry per member, exactly like a message; only
after the commit is the `update` frame published (each member's with their own cursor,
or one live frame for a large group). So sync, replay and the per-device order carry
changes with no second mechanism, and a device that was offline ends in the same state
as one that was online.

Who may: an edit only by the sender; a delete by the sender or a group's owner or
admin; a reaction by any member. A deleted message takes no edit and no reaction. A
direct channel closed to new messages (the friendship ended, e.g. by a block) takes no
reaction and no edit either; deletes stay allowed there. An end-to-end encrypted
channel takes no edit: the server cannot check or index an encrypted replacement, and
a plaintext one would leak into the channel (docs/protocol.md).

Edits keep no history unless the server's keep_edit_history setting is on: then each
edit keeps the text it replaces, for server admins only, until the message is deleted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Protocol

from chinwag import wire
from chinwag.channels.models import Member
from chinwag.clock import Clock, now_ms
from chinwag.errors import conflict, forbidden, invalid, not_found
from chinwag.events import Publisher
from chinwag.messaging.mentions import usernames_in
from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    Delete,
    Edit,
    Message,
    React,
    Version,
)
from chinwag.messaging.reactions import check_emoji
from chinwag.messaging.service import with_attachments
from chinwag.messaging.store import AttachmentLookup, MessageStore
from chinwag.protocol.codec import ENCRYPTED_MARK, MARK_REFUSED, update_frame

ADMIN_ROLES = ("owner", "admin")
ENCRYPTED_EDIT = (
    "messages of an end-to-end encrypted channel cannot be edited: delete and send again"
)
DIRECT_CLOSED = "direct messages need a friendship"
DeletedListener = Callable[[Message], Awaitable[None]]


class Memberships(Protocol):
    async def member(self, channel_id: str, user_id: str) -> Member:
        """The membership, or `not_found` (no channel) / `forbidden` (not a member)."""
        ...

    async def direct_closed(self, channel_id: str) -> bool:
        """Whether a direct channel is closed to new messages."""
        ...

    async def encrypted(self, channel_id: str) -> bool:
        """Whether the channel is end-to-end encrypted."""
        ...


class ChangeService:
    def __init__(
        self,
        store: MessageStore,
        memberships: Memberships,
        bus: Publisher,
        clock: Clock,
        *,
        max_text_chars: int,
        attachments: AttachmentLookup | None = None,
        keep_history: bool = False,
    ) -> None:
        self._store = store
        self._keep_history = keep_history
        self._attachments = attachments
        self._members = memberships
        self._bus = bus
        self._clock = clock
        self._max_text = max_text_chars
        self._on_deleted: list[DeletedListener] = []

    def on_deleted(self, listener: DeletedListener) -> None:
        """Called after a delete commits, with the message as it was before: where
        anything kept beside the row (attachment blobs, pending pushes) is erased."""
        self._on_deleted.append(listener)

    async def mentions(self, channel_id: str, text: str) -> tuple[str, ...]:
        """The members named as @username in `text`."""
        names = usernames_in(text)
        if not names:
            return ()
        return tuple(await self._store.members_named(channel_id, names))

    async def check_reply(self, channel_id: str, reply_to: int) -> None:
        """A reply must point at a message of the same channel."""
        if reply_to < 1 or await self._store.message(channel_id, reply_to) is None:
            raise invalid("reply_to is not a message of this channel")

    async def edit(self, user_id: str, channel_id: str, message_id: int, text: str) -> Message:
        """Replace the text. A message must keep text or attachments: an empty text is
        taken only for a message with attachments (its files stay either way)."""
        if len(text) > self._max_text:
            raise invalid(f"text is longer than {self._max_text} characters")
        if text.startswith(ENCRYPTED_MARK):
            raise invalid(MARK_REFUSED)
        await self._members.member(channel_id, user_id)
        original = await self._visible(channel_id, message_id)
        if original.sender_id != user_id:
            raise forbidden("only the sender may edit a message")
        if original.deleted:
            raise conflict("the message was deleted")
        if not text and not (await with_attachments(self._attachments, [original]))[0].attachments:
            raise invalid("text must not be empty (the message has no attachments)")
        if original.text.startswith(ENCRYPTED_MARK) or await self._members.encrypted(channel_id):
            raise invalid(ENCRYPTED_EDIT)
        await self._open(channel_id)
        mentions = await self.mentions(channel_id, text)
        change = Edit(text, mentions, now_ms(self._clock), keep_history=self._keep_history)
        return (await self._apply(channel_id, message_id, change)).message

    async def versions(self, channel_id: str, message_id: int) -> tuple[Message, list[Version]]:
        """A message and the texts its edits replaced, oldest first: for server admins
        (the caller checks), whatever channel it is in; none unless keep_edit_history
        was on at the edits, none after a delete."""
        found = await self._visible(channel_id, message_id)
        [message] = await with_attachments(self._attachments, [found])
        return message, await self._store.versions(channel_id, message_id)

    async def delete(self, user_id: str, channel_id: str, message_id: int) -> None:
        member = await self._members.member(channel_id, user_id)
        original = await self._visible(channel_id, message_id)
        if original.sender_id != user_id and member.role not in ADMIN_ROLES:
            raise forbidden("only the sender or a group owner or admin may delete a message")
        done = await self._apply(channel_id, message_id, Delete())
        if done.changed:
            for listener in self._on_deleted:
                await listener(original)

    async def react(
        self, user_id: str, channel_id: str, message_id: int, emoji: str, *, add: bool
    ) -> None:
        check_emoji(emoji)
        await self._members.member(channel_id, user_id)
        original = await self._visible(channel_id, message_id)
        if original.deleted:
            if add:
                raise conflict("the message was deleted")
            return  # its reactions went with it: already in the asked state
        if add:
            await self._open(channel_id)
        await self._apply(channel_id, message_id, React(user_id, emoji, add, now_ms(self._clock)))

    async def _open(self, channel_id: str) -> None:
        if await self._members.direct_closed(channel_id):
            raise forbidden(DIRECT_CLOSED)

    async def _visible(self, channel_id: str, message_id: int) -> Message:
        if message_id < 1:
            raise not_found("no such message")
        found = await self._store.message(channel_id, message_id)
        if found is None:
            raise not_found("no such message")
        return found

    async def _apply(self, channel_id: str, message_id: int, change: Change) -> Changed:
        done = await self._store.change(channel_id, message_id, change)
        if done is ChangeRefusal.NO_MESSAGE:
            raise not_found("no such message")
        if done is ChangeRefusal.DELETED:  # deleted since it was read
            raise conflict("the message was deleted")
        # Both are checked before too; these are a switch or an unfriending that
        # committed in between.
        if done is ChangeRefusal.ENCRYPTED:
            raise invalid(ENCRYPTED_EDIT)
        if done is ChangeRefusal.CLOSED:
            raise forbidden(DIRECT_CLOSED)
        assert isinstance(done, Changed)
        # The message's files, as every Message carries them (a deleted one has none).
        [message] = await with_attachments(self._attachments, [done.message])
        done = dataclasses.replace(done, message=message)
        if done.changed:
            self.publish(done)
        return done

    def publish(self, done: Changed) -> None:
        body = wire.message_json(done.message)
        event = done.event.value
        if done.cursors:
            for user_id, seq in done.cursors.items():
                self._bus.to_user(user_id, update_frame(event, body, seq), seq)
        else:
            # A large group: live only (seq 0 is not ordered by message_id), like the
            # contract says; history gives the current state to anyone who looks.
            self._bus.to_channel(done.message.channel_id, update_frame(event, body, None), 0)
