"""Streaming files to and from disk for uploads and downloads, a chunk at a time, with
the disk work in threads so the event loop never waits on it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

CHUNK = 256 << 10

Progress = Callable[[int, int], None]  # (bytes done, total)


async def read_chunks(path: Path, size: int, progress: Progress | None) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        done = 0
        while done < size:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, size - done))
            if not chunk:
                raise OSError(f"{path} shrank while being uploaded")
            done += len(chunk)
            yield chunk
            if progress is not None:
                progress(done, size)
    finally:
        handle.close()


async def write_chunks(
    chunks: AsyncIterator[bytes], dest: Path, total: int, progress: Progress | None
) -> int:
    """Into `dest` through a temporary file beside it, renamed when whole."""
    temp = dest.with_name(f".{dest.name}.part")
    handle = await asyncio.to_thread(open, temp, "wb")
    done = 0
    try:
        async for chunk in chunks:
            await asyncio.to_thread(handle.write, chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(os.replace, temp, dest)
    except BaseException:
        handle.close()
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return done
