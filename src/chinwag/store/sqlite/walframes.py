"""Which pages a stretch of the write-ahead log holds, and which table or index each
belongs to: the exact count of what a workload writes, for tests and benchmarks (a
frame is one page written; timings on a shared machine are noise).

The log is read only up to its current end; a caller that wants every frame since a
point keeps a read transaction open, so the log is not restarted from its beginning
in between (a restart would overwrite what is being counted)."""

from __future__ import annotations

import sqlite3
import struct
from collections import Counter
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24


def page_size(wal: Path) -> int:
    with wal.open("rb") as f:
        header = f.read(WAL_HEADER)
    return int(struct.unpack(">I", header[8:12])[0]) if len(header) == WAL_HEADER else 0


def frame_count(wal: Path) -> int:
    """Frames in the log file (valid or not: call it while a reader holds the log)."""
    size = page_size(wal)
    if not size:
        return 0
    return max(0, (wal.stat().st_size - WAL_HEADER) // (size + FRAME_HEADER))


def pages(wal: Path, first: int, end: int) -> list[int]:
    """The page numbers of frames [first, end)."""
    size = page_size(wal)
    out = []
    with wal.open("rb") as f:
        for n in range(first, end):
            f.seek(WAL_HEADER + n * (size + FRAME_HEADER))
            out.append(int(struct.unpack(">I", f.read(4))[0]))
    return out


def owners(conn: sqlite3.Connection) -> dict[int, str]:
    """Page number -> the table or index it belongs to (dbstat)."""
    return {p: name for name, p in conn.execute("SELECT name, pageno FROM dbstat")}


def by_owner(conn: sqlite3.Connection, wal: Path, first: int, end: int) -> Counter[str]:
    """Frames [first, end) counted by what their pages belong to ('?' for a page that
    is free now, or the header page 1 when it is not sqlite_schema's)."""
    names = owners(conn)
    return Counter(names.get(p, "?") for p in pages(wal, first, end))
