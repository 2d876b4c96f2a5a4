"""Secrets as files in the data dir: how one process on SQLite keeps the keys it makes
for itself. Satisfies `chinwag.push.keys.SecretStore`.

Each file is created at most once, readable by its owner only, and never seen half
written (`push.signing.read_or_create`), so two processes starting at once on one data
dir agree on one key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chinwag.push.signing import read_or_create


class FileSecrets:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir

    async def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        return read_or_create(self._dir / name, make)
