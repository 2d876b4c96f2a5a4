"""Opaque ids: random, URL- and NATS-subject-safe (lowercase letters and digits)."""

from __future__ import annotations

import base64
import re
import secrets

# One token of a NATS subject or key: no dots, wildcards or whitespace.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def new_id(prefix: str) -> str:
    """A prefix letter and 16 base32 characters (80 random bits)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return prefix + raw


def new_token() -> str:
    """A bearer token: 256 random bits."""
    return secrets.token_urlsafe(32)


def is_token(value: str) -> bool:
    """True if `value` can stand as one token of a bus subject (ids, gateway ids and
    cluster names must)."""
    return _TOKEN.fullmatch(value) is not None
