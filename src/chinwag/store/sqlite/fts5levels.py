"""The search index's shape, read from FTS5's structure record (row 10 of
search_text_data): its levels, each with the segments on it and how many of them are the
inputs of a merge under way, and what the next merge step would work on.

FTS5 chooses that itself (fts5IndexMerge in SQLite's fts5_index.c): going up from level
0, the first level with a merge under way is continued unless a level below it holds more
segments than that merge has inputs; otherwise the level with the most segments, if it
holds at least `usermerge` of them, is merged whole into the level above. This module
says which merge that is and how many pages its inputs hold, so the indexer can leave one
that would rewrite a large old segment for an idle moment (indexer.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# FTS5 3.45+ marks its structure record with this after the cookie, and then stores five
# more numbers per segment (origins and tombstones).
_V2 = b"\xff\x00\x00\x01"


@dataclass(frozen=True)
class Level:
    merging: int  # the first `merging` segments are the inputs of a merge under way
    pages: tuple[int, ...]  # pages of each segment (what is left of a merge's inputs)
    ends: tuple[tuple[int, int], ...]  # (segment id, its last page) of each segment


def read(conn: sqlite3.Connection) -> list[Level]:
    """The index's levels, lowest first (none for an empty index)."""
    row = conn.execute("SELECT block FROM search_text_data WHERE id = 10").fetchone()
    return [] if row is None else decode(row[0])


def decode(data: bytes) -> list[Level]:
    v2 = data[4:8] == _V2
    pos = 8 if v2 else 4
    nlevels, pos = _varint(data, pos)
    _, pos = _varint(data, pos)  # segments in all
    _, pos = _varint(data, pos)  # write counter
    levels = []
    for _ in range(nlevels):
        merging, pos = _varint(data, pos)
        count, pos = _varint(data, pos)
        pages, ends = [], []
        for _ in range(count):
            segid, pos = _varint(data, pos)
            first, pos = _varint(data, pos)
            last, pos = _varint(data, pos)
            for _ in range(5 if v2 else 0):
                _, pos = _varint(data, pos)
            pages.append(last - first + 1 if first else 0)
            ends.append((segid, last))
        levels.append(Level(merging, tuple(pages), tuple(ends)))
    return levels


def segments(levels: list[Level]) -> int:
    return sum(len(level.pages) for level in levels)


def next_merge(levels: list[Level], usermerge: int) -> tuple[int, ...]:
    """Pages of each input of the merge FTS5's next merge step works on (none: no merge
    is due)."""
    return merge_inputs(levels, next_level(levels, usermerge))


def merge_inputs(levels: list[Level], n: int) -> tuple[int, ...]:
    if n < 0:
        return ()
    level = levels[n]
    return level.pages[: level.merging or len(level.pages)]


def next_level(levels: list[Level], usermerge: int) -> int:
    """The level FTS5's next merge step takes its input from (-1: none)."""
    best, most = -1, 0
    for n, level in enumerate(levels):
        if level.merging:
            if level.merging > most:
                best = n
                most = usermerge
            break
        if len(level.pages) > most:
            best, most = n, len(level.pages)
    return -1 if best < 0 or most < usermerge else best


def written(before: list[Level], after: list[Level], n: int) -> int:
    """Pages the merge of level `n` wrote to its output (on level n + 1) between two
    reads of the structure. A merge's output is the last segment of the level above;
    later merges only cut pages off the front of a segment, never its end."""
    if n + 1 >= len(after) or not after[n + 1].ends:
        return 0
    segid, last = after[n + 1].ends[-1] if before[n].merging else _output(before, after, n)
    old = dict(before[n + 1].ends) if n + 1 < len(before) else {}
    return last - old.get(segid, 0)


def _output(before: list[Level], after: list[Level], n: int) -> tuple[int, int]:
    """The segment a merge begun between the two reads wrote: the one of level n + 1
    that was nowhere before."""
    known = {segid for level in before for segid, _ in level.ends}
    for segid, last in after[n + 1].ends:
        if segid not in known:
            return segid, last
    return 0, 0


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(8):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos
    return (value << 8) | data[pos], pos + 1
