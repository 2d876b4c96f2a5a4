"""What media needs from storage (the metadata; bytes live in a `BlobStore`)."""

from __future__ import annotations

from typing import Protocol

from chinwag.media.models import Attachment

MessageKey = tuple[str, int]  # (channel_id, message_id)


class AttachmentStore(Protocol):
    async def add(self, attachment: Attachment) -> None: ...

    async def readable(self, attachment_id: str, user_id: str) -> Attachment | None:
        """The attachment if `user_id` uploaded it or is a member of a channel where a
        message carrying it was sent; else None, exactly as for an unknown id."""
        ...

    async def owned(self, ids: list[str], owner_id: str) -> list[Attachment]:
        """Those of `ids` uploaded by `owner_id`, in any order."""
        ...

    async def for_messages(self, keys: list[MessageKey]) -> dict[MessageKey, list[Attachment]]:
        """The attachments of each of these messages that has any, in message order."""
        ...

    async def unsent(self, created_before: int, limit: int) -> list[Attachment]:
        """Uploads older than `created_before` that no message carries."""
        ...

    async def delete_unsent(self, attachment_id: str) -> bool:
        """Remove the record if still no message carries it; True if it was removed."""
        ...
