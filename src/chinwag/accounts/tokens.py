"""Bearer tokens are random and stored only as their SHA-256 digest."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
