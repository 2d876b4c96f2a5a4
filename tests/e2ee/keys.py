"""Matrix-shaped key bodies for server tests (the server checks shapes, clients check
signatures, so fixed strings serve here)."""

from __future__ import annotations

from typing import Any

from tests.helpers.api import TestUser


def mxid(user: TestUser) -> str:
    return f"@{user.id}:chinwag"


def device_keys(user: TestUser, curve: str = "curveA", ed: str = "edA") -> dict[str, Any]:
    return {
        "user_id": mxid(user),
        "device_id": user.device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"curve25519:{user.device_id}": curve, f"ed25519:{user.device_id}": ed},
        "signatures": {mxid(user): {f"ed25519:{user.device_id}": "sig"}},
    }


def one_time_keys(n: int, start: int = 0) -> dict[str, Any]:
    return {
        f"signed_curve25519:K{i:04d}": {"key": f"otk{i}", "signatures": {"x": {"y": "z"}}}
        for i in range(start, start + n)
    }


def megolm(ciphertext: str = "AwgAEhAbCd", session: str = "S1") -> dict[str, str]:
    return {
        "algorithm": "m.megolm.v1.aes-sha2",
        "sender_key": "curveA",
        "device_id": "D1",
        "session_id": session,
        "ciphertext": ciphertext,
    }
