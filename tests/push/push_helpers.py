"""Stand-ins for push providers and independent protocol checkers, for the push tests.

Nothing here imports chinwag.push's crypto: the checks are written again from the RFCs so
that a mistake in the code under test cannot be mirrored by the test.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from chinwag.push.models import PushSubscription


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


# --- JWT checks (RFC 7515 compact form, RFC 7518 §3.3 and §3.4) ---


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    head, body, sig = token.split(".")
    return json.loads(b64d(head)), json.loads(b64d(body)), f"{head}.{body}".encode(), b64d(sig)


def verify_es256(
    token: str, public: ec.EllipticCurvePublicKey
) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, signed, sig = _split(token)
    assert header["alg"] == "ES256"
    assert len(sig) == 64, "ES256 signatures are raw r||s, not DER"
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public.verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
    return header, claims


def verify_rs256(token: str, public: rsa.RSAPublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, signed, sig = _split(token)
    assert header["alg"] == "RS256"
    public.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
    return header, claims


# --- RFC 8291 decryption, written from the RFC with plain HMAC ---


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def decrypt_webpush(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """Decrypt one aes128gcm message as a user agent would (RFC 8291 §3.4, RFC 8188 §2)."""
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_public, record = body[21 : 21 + idlen], body[21 + idlen :]
    assert idlen == 65 and as_public[0] == 4, "keyid must be the sender's uncompressed point"
    assert rs >= 18 and 17 <= len(record) <= rs, "exactly one record (RFC 8188 §2)"
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    ecdh = ua_private.exchange(ec.ECDH(), sender)
    ikm = _expand(_extract(auth, ecdh), b"WebPush: info\x00" + point(ua_private) + as_public, 32)
    prk = _extract(salt, ikm)
    cek = _expand(prk, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _expand(prk, b"Content-Encoding: nonce\x00", 12)
    padded = AESGCM(cek).decrypt(nonce, record, None)
    unpadded = padded.rstrip(b"\x00")
    assert unpadded.endswith(b"\x02"), "last record must end with delimiter 0x02"
    return unpadded[:-1]


@dataclass
class Browser:
    """A user agent's Web Push subscription keys (RFC 8291 §2)."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, sub_id: str, endpoint: str, user_id: str = "u1") -> PushSubscription:
        return PushSubscription(
            id=sub_id,
            user_id=user_id,
            device_id=f"d-{sub_id}",
            kind="webpush",
            endpoint=endpoint,
            p256dh=b64e(point(self.private)),
            auth=b64e(self.auth),
        )


def webhook_valid(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, "sha256=" + expected)


def refused_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MemoryPushStore:
    """A PushStore in a dict, for the worker tests."""

    def __init__(self, subs: list[PushSubscription] | None = None) -> None:
        self.subs = {s.id: s for s in subs or []}
        self.forgotten: list[str] = []

    async def add_subscription(self, sub: PushSubscription) -> None:
        self.subs[sub.id] = sub

    async def delete_subscription(self, sub_id: str, user_id: str) -> bool:
        sub = self.subs.get(sub_id)
        if sub is None or sub.user_id != user_id:
            return False
        del self.subs[sub_id]
        return True

    async def forget_subscription(self, sub_id: str) -> None:
        self.forgotten.append(sub_id)
        self.subs.pop(sub_id, None)

    async def subscriptions_of(self, user_id: str) -> list[PushSubscription]:
        return [s for s in self.subs.values() if s.user_id == user_id]

    async def delete_device_subscriptions(self, device_id: str) -> int:
        gone = [k for k, s in self.subs.items() if s.device_id == device_id]
        for k in gone:
            del self.subs[k]
        return len(gone)


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context offering only h2, client context trusting that server's cert)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    server.set_alpn_protocols(["h2"])
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client
