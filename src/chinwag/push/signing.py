"""Compact JWS (RFC 7515) signing for the three providers that want a JWT, and key files.

Guarantees: ES256 signatures are the raw 64-byte r||s form of RFC 7518 §3.4 (not DER,
which every provider rejects); base64url never carries padding (RFC 7515 §2); a key or
secret file is created at most once, readable by its owner only, and never seen half
written by a concurrent process.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (browsers send it either way)."""
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signing_input(header: Mapping[str, Any], claims: Mapping[str, Any]) -> bytes:
    def part(value: Mapping[str, Any]) -> str:
        return b64url(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(claims)}".encode("ascii")


def es256_jwt(key: ec.EllipticCurvePrivateKey, claims: Mapping[str, Any], **header: str) -> str:
    """A JWT signed with ECDSA P-256 and SHA-256 (RFC 7518 §3.4)."""
    signing_input = _signing_input({"alg": "ES256", "typ": "JWT", **header}, claims)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    # RFC 7518 §3.4: r and s as 32-byte big-endian integers, concatenated.
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def rs256_jwt(key: rsa.RSAPrivateKey, claims: Mapping[str, Any], **header: str) -> str:
    """A JWT signed with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 7518 §3.3)."""
    signing_input = _signing_input({"alg": "RS256", "typ": "JWT", **header}, claims)
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; on first use, `make()` them and store them with mode 0600.

    The content goes to a private temporary file that is then hard-linked into place:
    link fails if another process got there first, in which case its file is used, so
    two servers starting at once on one data dir agree on one key.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a leftover temporary file.
        with os.fdopen(fd, "wb") as f:
            f.write(make())
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()
