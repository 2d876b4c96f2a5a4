"""The keys the server makes for itself for push: the VAPID key pair and the webhook
secret, and where they are kept.

Guarantees: every process that shares a store uses the same keys. On PostgreSQL they
live in the store itself (no file to copy between machines), created by whichever
process starts first; when several start at once, exactly one key is made and all of
them use it. On SQLite (one process) they stay files in the data dir, as they always
were. A key file already in the data dir (from a version that kept keys in files, or
put there by the operator) is the one stored when the store has none yet, so existing
Web Push subscriptions, which browsers bind to the VAPID key, keep working. A webhook
secret set in the settings wins over a stored one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.push.senders import WEBHOOK_SECRET_FILE
from chinwag.push.webpush import VAPID_KEY_FILE, VapidKeys

# The names keys are stored under: their file names, so either place reads the same.
VAPID_KEY = VAPID_KEY_FILE
WEBHOOK_SECRET = WEBHOOK_SECRET_FILE


class SecretStore(Protocol):
    async def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret stored under `name`; without one, `make()` it and store it. When
        several processes ask at once they all get the one that was stored."""
        ...


@dataclass(frozen=True)
class PushKeys:
    vapid: VapidKeys
    webhook_secret: bytes


async def load_push_keys(
    secrets: SecretStore, data_dir: Path, configured_webhook_secret: str = ""
) -> PushKeys:
    pem = await secrets.get_or_create(VAPID_KEY, _file_or(data_dir / VAPID_KEY, _new_vapid))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"the stored {VAPID_KEY} is not an EC private key")
    if configured_webhook_secret:
        webhook = configured_webhook_secret.encode()
    else:
        made = _file_or(data_dir / WEBHOOK_SECRET, _new_webhook_secret)
        webhook = (await secrets.get_or_create(WEBHOOK_SECRET, made)).strip()
    return PushKeys(VapidKeys(key), webhook)


def _file_or(path: Path, make: Callable[[], bytes]) -> Callable[[], bytes]:
    def read_or_make() -> bytes:
        return path.read_bytes() if path.exists() else make()

    return read_or_make


def _new_vapid() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _new_webhook_secret() -> bytes:
    return secrets.token_hex(32).encode()
