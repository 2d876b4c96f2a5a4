"""Real local servers standing in for push providers, for the push tests.

Each checks what its provider checks (signatures, tokens, encryption) with the
independent checkers of `push_helpers`, records what it received, and answers from a
script so tests can play every provider answer.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag.push.models import PushSubscription
from tests.push.push_helpers import Browser, b64d, decrypt_webpush, verify_es256, webhook_valid


class AsgiServers:
    """Real uvicorn servers on random local ports, stopped together."""

    def __init__(self) -> None:
        self._running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(self, app: Any) -> str:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
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
                headers = {_text(k): _text(v) for k, v in event.headers}
                self.streams[event.stream_id] = (headers, bytearray())
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


class PushService:
    """A push service stand-in that checks what RFC 8030/8291/8292 require of a sender."""

    def __init__(self, servers: AsgiServers, vapid_public: str, subject: str) -> None:
        self.servers = servers
        self.vapid_public = b64d(vapid_public)
        self.subject = subject
        self.browsers: dict[str, Browser] = {}
        self.received: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.errors: list[str] = []
        self.replies: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.base = ""

    async def start(self) -> None:
        app = Starlette(routes=[Route("/push/{sub_id}", self.receive, methods=["POST"])])
        self.base = await self.servers.start(app)

    def subscribe(self, sub_id: str, user_id: str = "u1") -> PushSubscription:
        self.browsers[sub_id] = Browser()
        return self.browsers[sub_id].subscription(sub_id, f"{self.base}/push/{sub_id}", user_id)

    async def receive(self, request: Request) -> Response:
        sub_id = request.path_params["sub_id"]
        body = await request.body()
        try:
            self.check(request, sub_id, body)
        except Exception as exc:  # report to the test rather than only answering 400
            self.errors.append(repr(exc))
            return Response(status_code=400)
        replies = self.replies.get(sub_id)
        status, headers = replies.pop(0) if replies else (201, {})
        return Response(status_code=status, headers=headers)

    def check(self, request: Request, sub_id: str, body: bytes) -> None:
        scheme, _, params = request.headers["authorization"].partition(" ")
        assert scheme == "vapid"  # RFC 8292 §3
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        assert b64d(fields["k"]) == self.vapid_public
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(fields["k"]))
        _, claims = verify_es256(fields["t"], public)
        assert claims["aud"] == self.base  # the origin of the push resource, §2
        assert time.time() < claims["exp"] <= time.time() + 86_400  # at most 24 h, §2
        assert claims["sub"] == self.subject
        assert request.headers["content-encoding"] == "aes128gcm"
        assert int(request.headers["ttl"]) >= 0  # RFC 8030 §5.2
        assert request.headers.get("urgency", "normal") in ("very-low", "low", "normal", "high")
        browser = self.browsers[sub_id]
        payload = json.loads(decrypt_webpush(body, browser.private, browser.auth))
        self.received.append((sub_id, payload, dict(request.headers)))


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

    async def _receive(self, request: Request) -> Response:
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


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
