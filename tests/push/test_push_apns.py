"""APNs against a real HTTP/2-only TLS server that checks the provider token like Apple."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.clock import FakeClock
from chinwag.push.apns import PRODUCTION_URL, SANDBOX_URL, ApnsSender, base_url, load_key
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone, Retry
from tests.push.guards import LOCAL
from tests.push.push_helpers import refused_port, self_signed, verify_es256
from tests.push.push_servers import H2Request, H2Server

DEVICE = "a1b2c3d4" * 8
SUB = PushSubscription(id="s1", user_id="u1", device_id="d1", kind="apns", token=DEVICE)
NOTE = Notification("c1", "u2", "Ann", 2, "hi")


class Apple:
    """Checks each request as APNs does and answers from a script (default 200)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, now: Any) -> None:
        self.public = key.public_key()
        self.now = now
        self.errors: list[str] = []
        self.tokens: list[str] = []
        self.replies: list[tuple[int, dict[str, Any] | None]] = []

    async def handle(self, request: H2Request) -> tuple[int, dict[str, str], bytes]:
        h = request.headers
        try:
            assert request.alpn == "h2"
            assert h[":method"] == "POST" and h[":scheme"] == "https"
            assert h[":path"] == f"/3/device/{DEVICE}"
            assert h["apns-topic"] == "chat.example.app"
            assert h["apns-push-type"] == "alert"
            scheme, _, jwt = h["authorization"].partition(" ")
            assert scheme == "bearer"
            header, claims = verify_es256(jwt, self.public)
            assert header["kid"] == "KEYID12345"
            assert claims["iss"] == "TEAMID1234"
            assert self.now() - 3600 < claims["iat"] <= self.now()  # Apple: under an hour old
            self.tokens.append(jwt)
            json.loads(request.body)
        except Exception as exc:
            self.errors.append(repr(exc))
            return 403, {}, b'{"reason":"InvalidProviderToken"}'
        status, body = self.replies.pop(0) if self.replies else (200, None)
        data = json.dumps(body).encode() if body is not None else b""
        return status, {"apns-id": "00000000-0000-0000-0000-000000000001"}, data


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=time.time())


@pytest.fixture
async def apple(
    key: ec.EllipticCurvePrivateKey, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[Apple, H2Server, ApnsSender]]:
    stand_in = Apple(key, clock.now)
    server = H2Server(stand_in.handle)
    server_ctx, client_ctx = self_signed(tmp_path)
    port = await server.start(server_ctx)
    sender = ApnsSender(
        key,
        key_id="KEYID12345",
        team_id="TEAMID1234",
        topic="chat.example.app",
        url=f"https://localhost:{port}",
        verify=client_ctx,
        guard=LOCAL,
        now=clock.now,
    )
    yield stand_in, server, sender
    await sender.aclose()
    await server.stop()


async def test_sends_over_http2_with_a_valid_token(
    apple: tuple[Apple, H2Server, ApnsSender],
) -> None:
    stand_in, server, sender = apple
    assert await sender.send(SUB, NOTE) == Delivered()
    assert stand_in.errors == []
    [request] = server.requests
    assert request.alpn == "h2"  # negotiated by TLS ALPN (RFC 7301), HTTP/2 only server
    assert request.headers["apns-collapse-id"] == "c1"
    payload = json.loads(request.body)
    assert payload["aps"]["alert"] == {"title": "Ann", "body": "hi"}
    assert payload["aps"]["thread-id"] == "c1"
    assert payload["chinwag"] == NOTE.to_dict()


async def test_one_connection_and_one_token_are_reused(
    apple: tuple[Apple, H2Server, ApnsSender], clock: FakeClock
) -> None:
    stand_in, server, sender = apple
    for _ in range(3):
        assert await sender.send(SUB, NOTE) == Delivered()
        clock.advance(600)
    assert server.connections == 1
    assert len(set(stand_in.tokens)) == 1
    clock.advance(50 * 60)  # past the ~50 minute refresh
    assert await sender.send(SUB, NOTE) == Delivered()
    assert len(set(stand_in.tokens)) == 2
    assert stand_in.errors == []


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (410, {"reason": "Unregistered", "timestamp": 1700000000000}, Gone),
        (400, {"reason": "BadDeviceToken"}, Gone),
        (400, {"reason": "DeviceTokenNotForTopic"}, Failed),
        (429, {"reason": "TooManyRequests"}, Retry),
        (503, {"reason": "ServiceUnavailable"}, Retry),
        (500, None, Retry),
        (413, {"reason": "PayloadTooLarge"}, Failed),
    ],
)
async def test_answers_map_to_results(
    apple: tuple[Apple, H2Server, ApnsSender], status: int, body: Any, expected: type
) -> None:
    stand_in, _, sender = apple
    stand_in.replies.append((status, body))
    assert isinstance(await sender.send(SUB, NOTE), expected)


async def test_expired_provider_token_is_replaced(
    apple: tuple[Apple, H2Server, ApnsSender],
) -> None:
    stand_in, _, sender = apple
    stand_in.replies.append((403, {"reason": "ExpiredProviderToken"}))
    assert isinstance(await sender.send(SUB, NOTE), Retry)
    assert await sender.send(SUB, NOTE) == Delivered()
    assert len(set(stand_in.tokens)) == 2


async def test_malformed_device_token_never_reaches_apple(
    apple: tuple[Apple, H2Server, ApnsSender],
) -> None:
    _, server, sender = apple
    for token in ("", "../../3/device/x", "zz" * 32):
        bad = PushSubscription(id="s2", user_id="u1", device_id="d1", kind="apns", token=token)
        assert isinstance(await sender.send(bad, NOTE), Gone)
    assert server.requests == []


async def test_unreachable_apns_is_retried(key: ec.EllipticCurvePrivateKey) -> None:
    sender = ApnsSender(
        key,
        key_id="K",
        team_id="T",
        topic="t",
        url=f"https://127.0.0.1:{refused_port()}",
        guard=LOCAL,
    )
    try:
        assert isinstance(await sender.send(SUB, NOTE), Retry)
    finally:
        await sender.aclose()


def test_base_url_and_key_loading(tmp_path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    assert base_url("production") == PRODUCTION_URL == "https://api.push.apple.com"
    assert base_url("sandbox") == SANDBOX_URL == "https://api.sandbox.push.apple.com"
    assert base_url("sandbox", "https://proxy.internal/") == "https://proxy.internal"
    with pytest.raises(ValueError):
        base_url("staging")
    p8 = tmp_path / "AuthKey.p8"
    p8.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert load_key(p8).private_numbers() == key.private_numbers()
    (tmp_path / "bad.p8").write_text("nope")
    with pytest.raises(ValueError):
        load_key(tmp_path / "bad.p8")


async def test_stand_in_refuses_http1(apple: tuple[Apple, H2Server, ApnsSender]) -> None:
    """The stand-in serves only HTTP/2, so the requests it records came over HTTP/2."""
    _, server, _ = apple
    async with httpx.AsyncClient(http2=False, verify=False) as http1:
        with pytest.raises(httpx.HTTPError):
            await http1.post(f"https://localhost:{server.port}/3/device/{DEVICE}", content=b"{}")
    assert server.requests == [] and server.rejected == 1
