"""Stand-ins for push providers and independent protocol checkers, for the push tests.

Nothing here imports chinwag.push's crypto: the checks are written again from the RFCs so
that a mistake in the code under test cannot be mirrored by the test.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import uvicorn
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


def verify_es256(token: str, public: ec.EllipticCurvePublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
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
            id=sub_id, user_id=user_id, device_id=f"d-{sub_id}", kind="webpush",
            endpoint=endpoint, p256dh=b64e(point(self.private)), auth=b64e(self.auth),
        )


def webhook_valid(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, "sha256=" + expected)


# --- servers ---


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll until `condition()` holds (no fixed sleeps); fail after a generous timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


class AsgiServers:
    """Real uvicorn servers on random local ports, stopped together."""

    def __init__(self) -> None:
        self._running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(self, app: Any) -> str:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        self._running.append((server, task))
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for server, _ in self._running:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self._running))


def refused_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context offering only h2, client context trusting that server's cert)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
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
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    server.set_alpn_protocols(["h2"])
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@dataclass
class H2Request:
    headers: dict[str, str]
    body: bytes
    connection: int
    alpn: str | None


H2Handler = Callable[[H2Request], Awaitable[tuple[int, dict[str, str], bytes]]]


class H2Server:
    """A minimal HTTP/2-only server (RFC 9113) over TLS with ALPN "h2", built on h2.

    It speaks nothing but HTTP/2: a client sending HTTP/1.1 gets a protocol error, so a
    request recorded here proves the client used HTTP/2.
    """

    def __init__(self, handler: H2Handler) -> None:
        self.handler = handler
        self.requests: list[H2Request] = []
        self.port = 0
        self.connections = 0
        self.rejected = 0
        self.transports: list[asyncio.Transport] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, context: ssl.SSLContext) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, "127.0.0.1", 0, ssl=context)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for transport in self.transports:
                transport.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _protocol(self) -> asyncio.Protocol:
        self.connections += 1
        return _H2Protocol(self, self.connections)


class _H2Protocol(asyncio.Protocol):
    def __init__(self, server: H2Server, number: int) -> None:
        self.server = server
        self.number = number
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.transport: asyncio.Transport | None = None
        self.alpn: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.transports.append(transport)
        self.alpn = transport.get_extra_info("ssl_object").selected_alpn_protocol()
        self.conn.initiate_connection()
        transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:  # e.g. an HTTP/1.1 request: not ours to serve
            self.server.rejected += 1
            self.transport.close()
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.streams[event.stream_id] = (dict(event.headers), bytearray())
            elif isinstance(event, h2.events.DataReceived):
                self.streams[event.stream_id][1].extend(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = self.streams.pop(event.stream_id)
                request = H2Request(headers, bytes(body), self.number, self.alpn)
                self.server.requests.append(request)
                task = asyncio.create_task(self._respond(event.stream_id, request))
                self.server._tasks.add(task)
                task.add_done_callback(self.server._tasks.discard)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.transport.close()
        self.transport.write(self.conn.data_to_send())

    async def _respond(self, stream_id: int, request: H2Request) -> None:
        status, headers, body = await self.server.handler(request)
        if self.transport is None or self.transport.is_closing():
            return
        out = [(":status", str(status)), ("content-length", str(len(body))), *headers.items()]
        self.conn.send_headers(stream_id, out, end_stream=not body)
        if body:
            self.conn.send_data(stream_id, body, end_stream=True)
        self.transport.write(self.conn.data_to_send())


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


class Hooks:
    """A webhook receiver that checks signatures and answers from per-path scripts."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.attempts: list[tuple[str, float]] = []  # (path name, monotonic time)
        self.errors: list[str] = []
        self.replies: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.always: dict[str, int] = {}
        self.gate: asyncio.Event | None = None  # while set and not released, requests wait
        self.base = ""

    async def start(self, servers: AsgiServers) -> None:
        from starlette.applications import Starlette
        from starlette.routing import Route

        app = Starlette(routes=[Route("/hook/{name}", self._receive, methods=["POST"])])
        self.base = await servers.start(app)

    def url(self, name: str) -> str:
        return f"{self.base}/hook/{name}"

    def subscription(self, name: str, user_id: str = "u1") -> PushSubscription:
        return PushSubscription(
            id=name, user_id=user_id, device_id=f"d-{name}", kind="webhook", endpoint=self.url(name)
        )

    def notes(self, name: str) -> list[dict[str, Any]]:
        return [body["notification"] for n, body in self.received if n == name]

    async def _receive(self, request: Any) -> Any:
        from starlette.responses import Response

        name = request.path_params["name"]
        self.attempts.append((name, time.monotonic()))
        body = await request.body()
        timestamp = request.headers.get("x-chinwag-timestamp", "")
        signature = request.headers.get("x-chinwag-signature", "")
        if not webhook_valid(self.secret, timestamp, body, signature):
            self.errors.append(f"bad signature on {name}")
            return Response(status_code=401)
        if abs(int(timestamp) - time.time()) > 300:
            self.errors.append(f"stale timestamp on {name}")
            return Response(status_code=401)
        if self.gate is not None:
            await self.gate.wait()
        if self.replies.get(name):
            status, headers = self.replies[name].pop(0)
        else:
            status, headers = self.always.get(name, 204), {}
        if 200 <= status < 300:
            self.received.append((name, json.loads(body)))
        return Response(status_code=status, headers=headers)
