"""Uploads, downloads and the orphan sweep.

An upload streams from the request to the blob engine: the event loop only counts the
chunks (refusing past the size limit) and hands them to an ingest worker
(media/ingest.py), which hashes and writes them off the loop with at most INGEST_LIMIT
bytes queued, so memory per upload is bounded whatever the file's size. The type is
sniffed from the first bytes; an image is also spooled to a local temporary file, from
which its size and thumbnail are made in a worker thread once the bytes are all in. The
record is written only after the blob is committed, and every failure on the way
(too large, cut off, a bad image, cancelled) aborts the blob: nothing is left behind.

Who may read a file (docs/protocol.md, "Attachments"): its uploader, and members of a
channel in which a message carrying it was sent. Everyone else learns nothing, not even
that it exists: the same 404 as for an unknown id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from chinwag.clock import Clock, now_ms
from chinwag.errors import ChinwagError, Code, invalid, not_found
from chinwag.ids import new_id
from chinwag.media import images
from chinwag.media.blobs import BlobStore, BlobWriter
from chinwag.media.ingest import Ingest
from chinwag.media.models import Attachment, blob_key, thumbnail_key
from chinwag.media.names import display_name
from chinwag.media.sniff import HEAD_BYTES, is_image, sniff
from chinwag.media.stale import remove_stale
from chinwag.media.store import AttachmentStore
from chinwag.threadnames import name_os_thread

log = logging.getLogger("chinwag.media")

# Bytes of an upload queued for its ingest worker at most; threads of those workers.
INGEST_LIMIT = 1 << 20
INGEST_THREADS = 4


@dataclass(frozen=True, slots=True)
class MediaLimits:
    max_upload_bytes: int
    max_image_pixels: int
    unsent_ttl: float  # seconds an upload no message carries is kept


class MediaService:
    def __init__(
        self,
        store: AttachmentStore,
        blobs: BlobStore,
        clock: Clock,
        limits: MediaLimits,
        spool_dir: Path,
    ) -> None:
        self._store = store
        self.blobs = blobs
        self._clock = clock
        self.limits = limits
        self._spool = spool_dir
        # One image decoded at a time: what thumbnails cost in memory is bounded by one
        # image of at most max_image_pixels.
        self._images = ThreadPoolExecutor(
            1, thread_name_prefix="chinwag-thumbnails", initializer=name_os_thread
        )
        self._uploads = ThreadPoolExecutor(
            INGEST_THREADS, thread_name_prefix="chinwag-uploads", initializer=name_os_thread
        )

    async def start(self) -> None:
        def prepare() -> None:
            self._spool.mkdir(parents=True, exist_ok=True)
            remove_stale(self._spool)  # left by a crash (recent ones: another process's)

        await asyncio.to_thread(prepare)

    async def close(self) -> None:
        # A thumbnail being made finishes in its thread; the loop does not wait on it.
        await asyncio.to_thread(self._images.shutdown, wait=True, cancel_futures=True)
        await asyncio.to_thread(self._uploads.shutdown, wait=True)

    def refuse_declared(self, content_length: str | None) -> None:
        """Refuse from the headers alone, before a byte of the body is read."""
        if content_length is None:
            return
        if not content_length.isdigit():
            raise invalid("Content-Length is not a number")
        size = int(content_length)
        if size > self.limits.max_upload_bytes:
            raise _too_large(self.limits.max_upload_bytes)
        if size == 0:
            raise invalid("the file is empty")

    async def upload(
        self, owner_id: str, raw_name: str | None, body: AsyncIterator[bytes]
    ) -> Attachment:
        name = display_name(raw_name)
        attachment_id = new_id("a")
        writer = await self.blobs.writer(blob_key(attachment_id))
        received = _Received(self.limits.max_upload_bytes)
        spool: _Spool | None = None
        ingest: Ingest | None = None
        thumbnail = False
        try:
            async for chunk in body:
                received.add(chunk)
                if ingest is not None:
                    await ingest.put(chunk)
                elif received.size >= HEAD_BYTES:
                    spool, ingest = await self._begin(received, writer)
            if received.size == 0:
                raise invalid("the file is empty")
            if ingest is None:
                spool, ingest = await self._begin(received, writer)
            await ingest.finish()
            width = height = None
            if spool is not None:
                await asyncio.to_thread(spool.close)
                thumb = await asyncio.get_running_loop().run_in_executor(
                    self._images, images.thumbnail, spool.path, self.limits.max_image_pixels
                )
                width, height = thumb.width, thumb.height
                await _put(self.blobs, thumbnail_key(attachment_id), thumb.data)
                thumbnail = True
            await writer.commit()
            attachment = Attachment(
                attachment_id,
                owner_id,
                name,
                received.size,
                received.kind,
                received.hash.hexdigest(),
                width,
                height,
                thumbnail,
                now_ms(self._clock),
            )
            await self._store.add(attachment)
        except BaseException:
            if ingest is not None:
                await ingest.stop()  # no worker writes from here on
            await writer.abort()
            await self._forget_blobs(attachment_id, thumbnail)
            raise
        finally:
            if spool is not None:
                await asyncio.to_thread(spool.discard)
        return attachment

    async def _begin(self, received: _Received, writer: BlobWriter) -> tuple[_Spool | None, Ingest]:
        """Once the head is in: the type, the image spool if it is one, and the worker
        that takes the bytes from here on (the head's first)."""
        received.kind = sniff(received.head())
        spool = await asyncio.to_thread(_Spool, self._spool) if is_image(received.kind) else None
        digest = received.hash

        def sink(chunk: bytes) -> None:
            digest.update(chunk)  # releases the GIL, as do the writes
            writer.write(chunk)
            if spool is not None:
                spool.write(chunk)

        ingest = Ingest(self._uploads, sink, INGEST_LIMIT)
        try:
            for chunk in received.held:
                await ingest.put(chunk)
        except BaseException:
            # Not yet the caller's to clean up.
            await ingest.stop()
            if spool is not None:
                await asyncio.to_thread(spool.discard)
            raise
        received.held = []
        return spool, ingest

    async def _forget_blobs(self, attachment_id: str, thumbnail: bool) -> None:
        with contextlib.suppress(Exception):
            await self.blobs.delete(blob_key(attachment_id))
            if thumbnail:
                await self.blobs.delete(thumbnail_key(attachment_id))

    async def readable(self, attachment_id: str, user_id: str) -> Attachment:
        found = await self._store.readable(attachment_id, user_id)
        if found is None:
            raise not_found("no such attachment")
        return found

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """A blob's bytes, the first chunk read before this returns: a blob the sweep
        removed after its record was read is a 404 like any unknown id, not an answer
        broken off after its headers."""
        chunks = self.blobs.read(key, start, end)
        try:
            first = await anext(chunks, b"")
        except FileNotFoundError:
            raise not_found("no such attachment") from None
        return _after(first, chunks)

    async def sweep(self, limit: int = 500) -> int:
        """Remove uploads older than `unsent_ttl` that no message carries; how many."""
        before = now_ms(self._clock) - int(self.limits.unsent_ttl * 1000)
        removed = 0
        for attachment in await self._store.unsent(before, limit):
            # Gone from the records first: from then on no send can claim it.
            if await self._store.delete_unsent(attachment.id):
                await self._forget_blobs(attachment.id, attachment.thumbnail)
                removed += 1
        return removed

    async def sweep_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                removed = await self.sweep()
                if removed:
                    log.info("removed unsent uploads", extra={"count": removed})
            except Exception:
                log.exception("sweeping unsent uploads failed")


async def _after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


def _too_large(limit: int) -> ChinwagError:
    return ChinwagError(Code.TOO_LARGE, f"the file is larger than {limit} bytes")


class _Received:
    """What an upload has received so far: size (held to the limit), the hash (updated
    by the ingest worker), the first chunks until the type is decided, then the type."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.hash = hashlib.sha256()
        self.held: list[bytes] = []
        self.kind = "application/octet-stream"

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.limit)
        if self.size - len(chunk) < HEAD_BYTES:
            self.held.append(chunk)

    def head(self) -> bytes:
        return b"".join(self.held)[:HEAD_BYTES]


async def _put(blobs: BlobStore, key: str, data: bytes) -> None:
    writer = await blobs.writer(key)
    try:
        await asyncio.to_thread(writer.write, data)
        await writer.commit()
    except BaseException:
        await writer.abort()
        raise


class _Spool:
    """A local copy of an image being uploaded, for its thumbnail. Blocking: opened,
    written and closed off the event loop."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / secrets.token_hex(12)
        self._handle: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed by discard

    def write(self, data: bytes) -> None:
        self._handle.write(data)

    def close(self) -> None:
        self._handle.close()

    def discard(self) -> None:
        self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
