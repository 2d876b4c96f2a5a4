"""The interface of blob engines: where the bytes of uploads and thumbnails live.

Every engine guarantees:
* A blob becomes readable only when its writer commits, whole; an aborted (or never
  committed) writer leaves nothing behind under the key.
* Writers are streamed: an engine holds at most a bounded buffer per writer, never the
  whole blob. `write` blocks: it is called from a worker thread, never the event loop
  (media/ingest.py), one call at a time per writer.
* Every process configured with the same engine settings sees the same blobs (the
  directory engine: on one machine; S3: everywhere).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class BlobWriter(Protocol):
    def write(self, chunk: bytes) -> None:
        """Take the chunk (blocking; from a worker thread, never the event loop)."""
        ...

    async def commit(self) -> None:
        """Make the blob readable under its key."""
        ...

    async def abort(self) -> None:
        """Drop whatever was written; safe to call after a failure, or twice."""
        ...


class BlobStore(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def writer(self, key: str) -> BlobWriter: ...

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes start <= i < end of a committed blob, in chunks; FileNotFoundError
        (from the first step) if there is none under the key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove a blob; no error if it is absent."""
        ...
