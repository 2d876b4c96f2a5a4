"""Where a session's sync position survives restarts.

A `Position` is what a client needs to resume without gaps: the inbox `cursor` (the
`cursor` of the last message frame it processed) and, for each large (fan-out on read)
group, the newest message id it processed, since those messages carry no cursor and are
caught up over HTTP with `?after=`.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Protocol

import msgspec


class Position(msgspec.Struct):
    """How far a client has processed: None means it has never synced."""

    cursor: int | None = None
    large_groups: dict[str, int] = {}

    def copy(self) -> Position:
        return Position(self.cursor, dict(self.large_groups))


class CursorStore(Protocol):
    """Keeps one `Position`.

    Implementations guarantee that `load` returns the last position passed to `save`
    (or an empty `Position` if none was), even after a crash in the middle of `save`:
    a save either happened completely or not at all.
    """

    def load(self) -> Position: ...

    def save(self, position: Position) -> None: ...


class MemoryCursorStore:
    """A `CursorStore` in memory: positions last as long as the object."""

    def __init__(self, position: Position | None = None) -> None:
        self._position = position.copy() if position else Position()

    def load(self) -> Position:
        return self._position.copy()

    def save(self, position: Position) -> None:
        self._position = position.copy()


class JsonFileCursorStore:
    """A `CursorStore` in a JSON file, which may hold positions under several keys.

    `key` names whose position this is (for example a user and a channel), so that a
    file left by another account is never taken for this one's. Every save writes a
    temporary file beside the target, flushes it to disk (unless `durable` is False)
    and renames it over the target, so a reader sees the old file or the new one,
    never a torn one. The file is readable by its owner only.
    """

    def __init__(self, path: str | os.PathLike[str], key: str = "default", *, durable: bool = True):
        self.path = Path(path)
        self.key = key
        self._durable = durable
        self._encoder = msgspec.json.Encoder()

    def _read_all(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            # A file this store did not write, or damaged by hand: start over rather
            # than refuse to run; the worst case is a replay the session deduplicates.
            return {}
        positions = data.get("positions") if isinstance(data, dict) else None
        return positions if isinstance(positions, dict) else {}

    def load(self) -> Position:
        raw = self._read_all().get(self.key)
        if raw is None:
            return Position()
        try:
            return msgspec.convert(raw, Position)
        except msgspec.ValidationError:
            return Position()

    def save(self, position: Position) -> None:
        positions = self._read_all()
        positions[self.key] = msgspec.to_builtins(position)
        data = self._encoder.encode({"version": 1, "positions": positions})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if self._durable:
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
