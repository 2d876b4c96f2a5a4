"""What the messaging service needs from storage."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from chinwag.media.models import Attachment
from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    InboxEntry,
    Message,
    SendRefusal,
    SendRequest,
    Stored,
    Version,
)
from chinwag.messaging.search import SearchQuery

# What becomes of a send, once durable: (outcome, None) or (None, the error).
Then = Callable[[Stored | SendRefusal | None, BaseException | None], None]


def then_of(fut: asyncio.Future[Stored | SendRefusal], then: Then) -> None:
    """`append_then` for an engine whose `append` gives a future."""

    def done(fut: asyncio.Future[Stored | SendRefusal]) -> None:
        if fut.cancelled():
            then(None, asyncio.CancelledError())
            return
        exc = fut.exception()
        then(None if exc is not None else fut.result(), exc)

    fut.add_done_callback(done)


class MessageStore(Protocol):
    def append(self, request: SendRequest) -> Awaitable[Stored | SendRefusal]:
        """Start the whole send transaction and return an awaitable of its outcome (an
        engine may return a future directly, saving a task per message). The
        transaction: idempotency lookup, membership check, next message_id of the
        channel, the message, and one inbox entry per member for fan-out-on-write
        channels. Resolves only after the commit is durable."""
        ...

    def append_then(self, request: SendRequest, then: Then) -> None:
        """`append` without an awaitable (the gateway's hot path): `then` runs on the
        event loop once the commit is durable. An engine that can calls it as the
        outcome reaches the loop, where a future's callbacks wait a turn of the loop."""
        ...

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        """Ascending by message_id. With `after`, the first `limit` after it; otherwise
        the last `limit` before `before` (or the newest). Each in its current state."""
        ...

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]: ...

    async def inbox_head(self, user_id: str) -> int:
        """The user's newest inbox seq (0 if none)."""
        ...

    async def message(self, channel_id: str, message_id: int) -> Message | None:
        """One message in its current state (a deleted one as its tombstone)."""
        ...

    def change(
        self, channel_id: str, message_id: int, change: Change
    ) -> Awaitable[Changed | ChangeRefusal]:
        """One transaction: apply the change to the message (an edit replaces text,
        mentions and `edited_at`, first keeping the old text as a Version if
        `keep_history`; a delete empties text, reply, mentions and reactions,
        unlinks its attachments, erases its kept versions and marks it deleted; a
        reaction is added or removed),
        keep the search index in step, and, if anything changed, append one inbox entry
        per member (fan-out on write) carrying the event, as a send does. A delete of a
        deleted message, or a reaction already in the asked state, changes nothing. The
        caller has checked who may make the change."""
        ...

    async def versions(self, channel_id: str, message_id: int) -> list[Version]:
        """The texts edits replaced while history was kept, oldest first (none once the
        message is deleted: a delete erases them in its transaction)."""
        ...

    async def members_named(self, channel_id: str, usernames: list[str]) -> list[str]:
        """Ids of the channel's members whose usernames (lowercase) are given."""
        ...

    async def search(self, query: SearchQuery) -> list[Message]:
        """Messages matching every term, newest first, among those the user may see:
        channels they are a member of now, sent since they joined, not deleted, by
        their current text."""
        ...


class AttachmentLookup(Protocol):
    """What a send needs to know of uploads (media.store.AttachmentStore has it)."""

    async def owned(self, ids: list[str], owner_id: str) -> list[Attachment]: ...

    async def for_messages(
        self, keys: list[tuple[str, int]]
    ) -> dict[tuple[str, int], list[Attachment]]: ...
