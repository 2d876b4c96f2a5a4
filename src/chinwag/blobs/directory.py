"""Blobs as files under a directory (`<data dir>/blobs`), for one machine.

A writer fills a temporary file in `.partial/` and commits with fsync and an atomic
rename, so a key names a whole file or nothing; an aborted writer unlinks its file.
Writes come from a worker thread already (media/ingest.py): they go to the file as
they are.
Partial files left by a crash are removed at the next start once an hour old (younger
ones may belong to another process on the same directory, still writing). Reads run
in threads, in chunks of at most CHUNK bytes, so the event loop never waits on the disk
and memory per reader is bounded.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from chinwag.media.stale import remove_stale

CHUNK = 1 << 20
# Bytes written between two starts of write-back (see DirectoryWriter.write).
WRITE_BACK = 8 << 20


class DirectoryBlobs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._partial = root / ".partial"

    async def start(self) -> None:
        def prepare() -> None:
            self._partial.mkdir(parents=True, exist_ok=True)
            remove_stale(self._partial)

        await asyncio.to_thread(prepare)

    async def close(self) -> None:
        return None

    def _path(self, key: str) -> Path:
        # Keys are made by media (`files/<id>`), never from user input; still, refuse
        # anything that could step outside the root.
        if ".." in key.split("/") or key.startswith("/") or "\x00" in key:
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    async def writer(self, key: str) -> DirectoryWriter:
        final = self._path(key)
        temp = self._partial / secrets.token_hex(12)
        handle = await asyncio.to_thread(open, temp, "wb")
        return DirectoryWriter(handle, temp, final)

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self._path(key)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            left = end - start
            while left > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)


class DirectoryWriter:
    def __init__(self, handle: BinaryIO, temp: Path, final: Path) -> None:
        self._handle = handle
        self._temp = temp
        self._final = final
        self._done = False
        self._written = 0
        self._flushed = 0  # bytes whose write-back has been started

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._written += len(chunk)
        if self._written - self._flushed >= WRITE_BACK and hasattr(os, "posix_fadvise"):
            # Start writing the bytes so far to the disk now, while more arrive, so that
            # the fsync of the commit finds little left to write. On Linux, DONTNEED
            # starts write-back of the range's dirty pages without waiting for it, and
            # drops only pages already clean (none, of a file being written).
            self._handle.flush()
            start, self._flushed = self._flushed, self._written
            os.posix_fadvise(
                self._handle.fileno(), start, self._written - start, os.POSIX_FADV_DONTNEED
            )

    async def commit(self) -> None:
        def finish() -> None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._temp, self._final)

        await asyncio.to_thread(finish)
        self._done = True

    async def abort(self) -> None:
        if self._done:
            return
        self._done = True

        def drop() -> None:
            self._handle.close()
            self._temp.unlink(missing_ok=True)

        await asyncio.to_thread(drop)
