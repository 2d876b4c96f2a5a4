"""Web Push: RFC 8291 message encryption, RFC 8292 VAPID, RFC 8030 delivery.

Guarantees: every payload is encrypted for the subscription's own key (`aes128gcm`, one
RFC 8188 record) with a fresh ephemeral key and salt, so the push service never sees the
notification; each request carries a VAPID token for exactly the endpoint's origin that
expires within 24 hours; the server's VAPID key is created once per data dir and kept.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chinwag.push import httputil
from chinwag.push.guard import AddressGuard
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification, dumps, fit
from chinwag.push.result import Delivered, Failed, Gone, Retry, SendResult, retryable_status
from chinwag.push.result import parse_retry_after as _retry_after
from chinwag.push.signing import b64url, b64url_decode, es256_jwt, read_or_create

VAPID_KEY_FILE = "vapid_private_key.pem"
# RFC 8291 §4: a push service need only accept 4096 octets of payload; the record carries
# an 86-octet header (§4: salt 16, rs 4, idlen 1, keyid 65), the padding delimiter and the
# 16-octet AEAD tag, which leaves 3993 octets of plaintext.
MAX_PLAINTEXT = 4096 - 86 - 1 - 16
RECORD_SIZE = 4096
# RFC 8292 §2: exp no more than 24 hours ahead; 12 hours leaves room for clock skew.
VAPID_LIFETIME = 12 * 3600

Urgency = Literal["very-low", "low", "normal", "high"]


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth_secret: bytes,
    *,
    salt: bytes | None = None,
    private_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The `aes128gcm` body for one subscription (RFC 8291 §3, RFC 8188 §2).

    `salt` and `private_key` are fresh random values unless given (only test vectors
    give them: reusing either across messages would reuse the content key).
    Raises ValueError for a malformed key or secret, or an oversized plaintext.
    """
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"plaintext of {len(plaintext)} octets exceeds {MAX_PLAINTEXT}")
    if len(auth_secret) != 16:  # RFC 8291 §3.2: the auth secret is 16 octets.
        raise ValueError("auth secret must be 16 octets")
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    salt = os.urandom(16) if salt is None else salt
    private_key = ec.generate_private_key(ec.SECP256R1()) if private_key is None else private_key
    as_public = _point(private_key.public_key())
    ecdh_secret = private_key.exchange(ec.ECDH(), ua_key)
    # RFC 8291 §3.4: the auth secret and both public keys are mixed into the input key
    # material, which then feeds the RFC 8188 §2.2/§2.3 derivations keyed by the salt.
    key_info = b"WebPush: info\x00" + ua_public + as_public
    ikm = _hkdf(auth_secret, ecdh_secret, key_info, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    # RFC 8188 §2: one record, so sequence number 0 and the nonce is used as derived; the
    # delimiter 0x02 marks the last record (RFC 8291 §4 requires a single record).
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + record


def origin(url: str) -> str:
    """The RFC 6454 ASCII origin of a URL: scheme, host and any non-default port."""
    parsed = httpx.URL(url)
    host = parsed.host if ":" not in parsed.host else f"[{parsed.host}]"
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{host}{port}"


class VapidKeys:
    """The server's VAPID key pair (RFC 8292), one P-256 key kept in the data dir."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("VAPID keys are P-256 (RFC 8292 §3.2)")
        self._key = private_key
        self._public = _point(private_key.public_key())

    @classmethod
    def load_or_create(cls, data_dir: Path) -> VapidKeys:
        """The key in `data_dir`, generated and saved (PEM, mode 0600) on first start.

        Keeping it matters: browsers bind each subscription to this key, and a new key
        would silently orphan every existing Web Push subscription.
        """

        def make() -> bytes:
            return ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )

        pem = read_or_create(Path(data_dir) / VAPID_KEY_FILE, make)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{VAPID_KEY_FILE} does not hold an EC private key")
        return cls(key)

    def public_key_b64url(self) -> str:
        """The applicationServerKey for `PushManager.subscribe`: the uncompressed point."""
        return b64url(self._public)

    def authorization(self, endpoint: str, subject: str, now: float) -> str:
        """The RFC 8292 §3 `Authorization` header value for a request to `endpoint`."""
        claims = {"aud": origin(endpoint), "exp": int(now) + VAPID_LIFETIME, "sub": subject}
        return f"vapid t={es256_jwt(self._key, claims)}, k={self.public_key_b64url()}"


class WebPushSender:
    """Sends to browser push services (RFC 8030 §5) with encrypted, VAPID-signed requests."""

    def __init__(
        self,
        vapid: VapidKeys,
        subject: str,
        *,
        client: httpx.AsyncClient | None = None,
        guard: AddressGuard | None = None,
        ttl: int = 86_400,
        urgency: Urgency | None = "high",
        now: Callable[[], float] = time.time,
    ) -> None:
        self._vapid = vapid
        self._subject = subject
        self._owned = client is None
        self._client = client or httputil.new_client(guard)
        self._ttl = ttl
        self._urgency = urgency
        self._now = now

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        if (problem := httputil.http_url_error(sub.endpoint)) is not None:
            return Gone(f"endpoint: {problem}")
        try:
            plaintext = dumps(fit(note, lambda n: len(dumps(n.to_dict())), MAX_PLAINTEXT).to_dict())
        except ValueError as exc:  # ids alone too long: this message's fault, not the device's
            return Failed(str(exc))
        try:
            body = encrypt(plaintext, b64url_decode(sub.p256dh), b64url_decode(sub.auth))
        except ValueError as exc:
            # Keys that do not decode or are not a P-256 point can never work.
            return Gone(f"invalid subscription keys: {exc}")
        headers = {
            # RFC 8030 §5.2: how long the push service may hold the message.
            "TTL": str(self._ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": self._vapid.authorization(sub.endpoint, self._subject, self._now()),
        }
        if self._urgency is not None:
            headers["Urgency"] = self._urgency  # RFC 8030 §5.3
        response = await httputil.post(self._client, sub.endpoint, content=body, headers=headers)
        if isinstance(response, Retry):
            return response
        if isinstance(response, Failed):  # the endpoint now leads only to refused addresses
            return Gone(response.reason)
        status = response.status_code
        if 200 <= status < 300:  # RFC 8030 §5: 201 Created, but any success will do.
            return Delivered()
        if status in (404, 410):  # RFC 8030 §7.3: the subscription expired or was removed.
            return Gone(httputil.excerpt(response))
        if retryable_status(status):
            after = _retry_after(response.headers.get("Retry-After"), self._now())
            return Retry(after, httputil.excerpt(response))
        return Failed(httputil.excerpt(response))

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
