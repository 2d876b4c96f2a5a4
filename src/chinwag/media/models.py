"""An uploaded file as stored: metadata here, bytes in the blob engine."""

from __future__ import annotations

import msgspec

MAX_PER_MESSAGE = 10
# The longer side of a thumbnail, in pixels.
THUMBNAIL_SIDE = 320


class Attachment(msgspec.Struct, frozen=True):
    """`content_type` is sniffed from the bytes; `name` is display text only (never a
    path: blobs are stored under the id). `width`/`height` are set for images, and
    `thumbnail` says a thumbnail blob exists. `created_at` is ms since the epoch."""

    id: str
    owner_id: str
    name: str
    size: int
    content_type: str
    sha256: str
    width: int | None
    height: int | None
    thumbnail: bool
    created_at: int


def blob_key(attachment_id: str) -> str:
    return f"files/{attachment_id}"


def thumbnail_key(attachment_id: str) -> str:
    return f"thumbnails/{attachment_id}"
