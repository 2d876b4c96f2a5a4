"""HTTP byte ranges (RFC 9110 §14) and download headers: pure functions."""

from __future__ import annotations

from urllib.parse import quote


class Unsatisfiable(Exception):
    """A Range no byte of the file can satisfy: 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) with end exclusive for one `bytes=` range, or None to send the whole
    file (no header, several ranges, or a unit we do not serve, as §14.2 allows)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first:  # the last N bytes
            n = int(last)
            if n <= 0:
                raise Unsatisfiable
            return max(0, size - n), size
        start = int(first)
        end = int(last) + 1 if last else max(size, start + 1)
    except ValueError:
        return None
    if start < 0 or end <= start:
        return None  # not a valid range: ignored (§14.2)
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size)


def content_disposition(kind: str, name: str) -> str:
    """`inline` or `attachment` with the name as display text: an ASCII fallback with
    anything unsafe replaced, and the exact name in RFC 8187 form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
