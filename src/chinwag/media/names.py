"""File names are display text only: checked for sanity, never used as a path."""

from __future__ import annotations

import unicodedata

from chinwag.errors import invalid

MAX_NAME_CHARS = 255


def display_name(raw: str | None) -> str:
    """The name to show for an upload, or 400. Blobs are stored under the id, so a name
    can never reach the file system here; still, names that read as paths, control
    characters (NUL included) and overlong names are refused, so that no client ever
    shows, or saves under, something surprising."""
    if raw is None or not raw.strip():
        raise invalid("filename is required")
    if len(raw) > MAX_NAME_CHARS:
        raise invalid(f"filename is longer than {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in raw):
        raise invalid("filename holds control characters")
    if "/" in raw or "\\" in raw or raw.strip() in (".", ".."):
        raise invalid("filename must be a name, not a path")
    return raw.strip()
