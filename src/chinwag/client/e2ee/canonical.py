"""Canonical JSON and signed JSON objects, as Matrix defines them (sorted keys, no
insignificant whitespace, UTF-8), so that signatures made here verify anywhere."""

from __future__ import annotations

import base64
import json
from typing import Any

import vodozemac


def canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode()


def unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _signable(obj: dict[str, Any]) -> bytes:
    return canonical({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")})


def sign(account: vodozemac.Account, user: str, device_id: str, obj: dict[str, Any]) -> None:
    """Add this device's signature to `obj` (in place)."""
    signature = account.sign(_signable(obj)).to_base64()
    obj.setdefault("signatures", {}).setdefault(user, {})[f"ed25519:{device_id}"] = signature


def verify(obj: dict[str, Any], user: str, device_id: str, ed25519: str) -> bool:
    """True if `obj` carries a valid signature of that device's Ed25519 key."""
    try:
        signature = obj["signatures"][user][f"ed25519:{device_id}"]
        key = vodozemac.Ed25519PublicKey.from_base64(ed25519)
        key.verify_signature(_signable(obj), vodozemac.Ed25519Signature.from_base64(signature))
    except (KeyError, TypeError, ValueError):
        return False
    return True
