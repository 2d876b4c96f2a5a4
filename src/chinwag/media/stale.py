"""Temporary files left behind by a crash: removed once old enough that no live writer
can still own them."""

from __future__ import annotations

import time
from pathlib import Path

STALE_SECONDS = 3600.0


def remove_stale(folder: Path, age: float = STALE_SECONDS) -> None:
    """Remove files in `folder` not written to for `age` seconds (blocking)."""
    cutoff = time.time() - age
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
        except FileNotFoundError:
            pass  # removed meanwhile by its own writer
