"""A device's crypto state on disk, sealed with AES-256-GCM (the `cryptography` package)
under a 32-byte key that the user keeps (a passphrase-derived key, or a keyring). The
vodozemac objects inside are pickled under the same key as well."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_AAD = b"chinwag-e2ee-store-v1"


class SealedFile:
    def __init__(self, path: Path, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the store key is 32 bytes")
        self.path = path
        self.key = key

    def load(self) -> dict[str, Any] | None:
        """The saved state, None if there is none; raises if the key is wrong or the
        file was changed (GCM authenticates it)."""
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        state: dict[str, Any] = json.loads(AESGCM(self.key).decrypt(blob[:12], blob[12:], _AAD))
        return state

    def save(self, state: dict[str, Any]) -> None:
        nonce = os.urandom(12)
        blob = nonce + AESGCM(self.key).encrypt(nonce, json.dumps(state).encode(), _AAD)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, self.path)
