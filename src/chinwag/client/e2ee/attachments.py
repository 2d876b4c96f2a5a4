"""Encrypted attachments, as Matrix defines them (AES-256-CTR, SHA-256 of the
ciphertext), with the `cryptography` package. The blob is uploaded as opaque bytes; the
key, IV and hash travel inside the Megolm-encrypted message that refers to it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from chinwag.client.e2ee.canonical import b64decode, unpadded_b64


class AttachmentRefused(Exception):
    """A blob that does not match the hash its message names."""


def encrypt(data: bytes) -> tuple[bytes, dict[str, Any]]:
    key = os.urandom(32)
    iv = os.urandom(8) + b"\0" * 8  # the counter's low half starts at zero
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    blob = enc.update(data) + enc.finalize()
    info = {
        "v": "v2",
        "key": {
            "kty": "oct",
            "alg": "A256CTR",
            "ext": True,
            "key_ops": ["encrypt", "decrypt"],
            "k": base64.urlsafe_b64encode(key).decode().rstrip("="),
        },
        "iv": unpadded_b64(iv),
        "hashes": {"sha256": unpadded_b64(hashlib.sha256(blob).digest())},
    }
    return blob, info


def decrypt(blob: bytes, info: dict[str, Any]) -> bytes:
    try:
        want = b64decode(info["hashes"]["sha256"])
        k = info["key"]["k"]
        key = base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
        iv = b64decode(info["iv"])
    except (KeyError, TypeError, ValueError):
        raise AttachmentRefused("malformed attachment info") from None
    if not hmac.compare_digest(hashlib.sha256(blob).digest(), want):
        raise AttachmentRefused("the blob does not match its hash")
    dec = Cipher(algorithms.AES(key), modes.CTR(iv)).decryptor()
    return dec.update(blob) + dec.finalize()
