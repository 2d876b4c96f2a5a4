"""What the messaging service needs from storage."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from chinwag.media.models import Attachment
from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored


class MessageStore(Protocol):
    def append(self, request: SendRequest) -> Awaitable[Stored | SendRefusal]:
        """Start the whole send transaction and return an awaitable of its outcome (an
        engine may return a future directly, saving a task per message). The
        transaction: idempotency lookup, membership check, next message_id of the
        channel, the message, and one inbox entry per member for fan-out-on-write
        channels. Resolves only after the commit is durable."""
        ...

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        """Ascending by message_id. With `after`, the first `limit` after it; otherwise
        the last `limit` before `before` (or the newest)."""
        ...

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]: ...

    async def inbox_head(self, user_id: str) -> int:
        """The user's newest inbox seq (0 if none)."""
        ...


class AttachmentLookup(Protocol):
    """What a send needs to know of uploads (media.store.AttachmentStore has it)."""

    async def owned(self, ids: list[str], owner_id: str) -> list[Attachment]: ...

    async def for_messages(
        self, keys: list[tuple[str, int]]
    ) -> dict[tuple[str, int], list[Attachment]]: ...
