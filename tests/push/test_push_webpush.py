"""Web Push: RFC 8291 encryption, RFC 8292 VAPID and RFC 8030 delivery against a real server."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone, Retry
from chinwag.push.webpush import MAX_PLAINTEXT, VapidKeys, WebPushSender, encrypt, origin
from tests.push.guards import LOCAL
from tests.push.push_helpers import Browser, b64d, b64e, decrypt_webpush, refused_port
from tests.push.push_servers import AsgiServers, PushService

SUBJECT = "mailto:ops@example.test"
NOTE = Notification("c1", "u2", "Ann", 3, "hello")

# RFC 8291 Appendix A.
A_PLAINTEXT = b"When I grow up, I want to be a watermelon"
A_AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
A_UA_PUBLIC = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)
A_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
A_SALT = "DGv6ra1nlYgDCS1FRnbzlw"
A_AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
A_MESSAGE = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
    "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qu"
    "lcy4a-fN"
)


def _private(b64: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64d(b64), "big"), ec.SECP256R1())


def test_rfc8291_appendix_a_vector() -> None:
    body = encrypt(
        A_PLAINTEXT,
        b64d(A_UA_PUBLIC),
        b64d(A_AUTH),
        salt=b64d(A_SALT),
        private_key=_private(A_AS_PRIVATE),
    )
    assert b64e(body) == A_MESSAGE
    assert decrypt_webpush(body, _private(A_UA_PRIVATE), b64d(A_AUTH)) == A_PLAINTEXT


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=MAX_PLAINTEXT))
def test_encrypt_round_trips_any_payload(plaintext: bytes) -> None:
    browser = Browser()
    sub = browser.subscription("s", "https://push.example/x")
    body = encrypt(plaintext, b64d(sub.p256dh), browser.auth)
    assert len(body) <= 4096  # RFC 8030 §7.2: what every push service must accept
    assert decrypt_webpush(body, browser.private, browser.auth) == plaintext


def test_each_message_has_fresh_salt_and_key() -> None:
    browser = Browser()
    ua = b64d(browser.subscription("s", "https://p.example/").p256dh)
    a, b = encrypt(b"x", ua, browser.auth), encrypt(b"x", ua, browser.auth)
    assert a[:16] != b[:16] and a[21:86] != b[21:86]


def test_encrypt_rejects_what_cannot_be_sent() -> None:
    browser = Browser()
    ua = b64d(browser.subscription("s", "https://p.example/").p256dh)
    with pytest.raises(ValueError):
        encrypt(b"x" * (MAX_PLAINTEXT + 1), ua, browser.auth)
    with pytest.raises(ValueError):
        encrypt(b"x", ua, b"short")
    with pytest.raises(ValueError):
        encrypt(b"x", b"\x04" + b"\x01" * 64, browser.auth)  # not a point on P-256


def test_origin_is_scheme_host_and_non_default_port() -> None:
    assert origin("https://fcm.googleapis.com/fcm/send/abc?x=1") == "https://fcm.googleapis.com"
    assert origin("https://Push.Example:443/a") == "https://push.example"
    assert origin("http://127.0.0.1:8123/p/1") == "http://127.0.0.1:8123"
    assert origin("https://[::1]:9000/p") == "https://[::1]:9000"


def test_vapid_key_is_created_once_and_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = VapidKeys.load_or_create(data)
    files = list(data.iterdir())
    assert [f.name for f in files] == ["vapid_private_key.pem"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in files[0].read_bytes()
    again = VapidKeys.load_or_create(data)
    key = first.public_key_b64url()
    assert key == again.public_key_b64url()
    assert "=" not in key and len(b64d(key)) == 65 and b64d(key)[0] == 4


@pytest.fixture
async def push_service(servers: AsgiServers, tmp_path: Path) -> PushService:
    service = PushService(servers, VapidKeys.load_or_create(tmp_path).public_key_b64url(), SUBJECT)
    await service.start()
    return service


@pytest.fixture
async def sender(tmp_path: Path) -> Any:
    sender = WebPushSender(VapidKeys.load_or_create(tmp_path), SUBJECT, guard=LOCAL)
    yield sender
    await sender.aclose()


async def test_delivers_encrypted_and_signed(push_service: PushService, sender: Any) -> None:
    sub = push_service.subscribe("s1")
    assert await sender.send(sub, NOTE) == Delivered()
    assert push_service.errors == []
    [(sub_id, payload, headers)] = push_service.received
    assert sub_id == "s1"
    assert payload == {
        "channel_id": "c1",
        "sender_id": "u2",
        "sender_name": "Ann",
        "count": 3,
        "text": "hello",
    }
    assert headers["urgency"] == "high"


async def test_long_text_is_shortened_to_fit(push_service: PushService, sender: Any) -> None:
    sub = push_service.subscribe("s1")
    long = Notification("c1", "u2", "Ann", 1, "\U0001f349" * 100_000)
    assert await sender.send(sub, long) == Delivered()
    assert push_service.errors == []
    payload = push_service.received[0][1]
    assert payload["text"].startswith("\U0001f349") and payload["text"].endswith("\u2026")
    compact = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert MAX_PLAINTEXT - 4 < len(compact) <= MAX_PLAINTEXT  # as much text as fits


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (404, {}, Gone),
        (410, {}, Gone),
        (429, {"Retry-After": "7"}, Retry),
        (503, {}, Retry),
        (400, {}, Failed),
        (413, {}, Failed),
    ],
)
async def test_answers_map_to_results(
    push_service: PushService, sender: Any, status: int, headers: dict[str, str], expected: type
) -> None:
    sub = push_service.subscribe("s1")
    push_service.replies["s1"] = [(status, headers)]
    result = await sender.send(sub, NOTE)
    assert isinstance(result, expected)
    if status == 429:
        assert isinstance(result, Retry) and result.after == 7.0


async def test_unreachable_push_service_is_retried(sender: Any) -> None:
    sub = Browser().subscription("s1", f"http://127.0.0.1:{refused_port()}/push/s1")
    assert isinstance(await sender.send(sub, NOTE), Retry)


async def test_broken_subscription_is_gone_without_a_request(sender: Any) -> None:
    sub = Browser().subscription("s1", "http://127.0.0.1:1/push/s1")
    bad_keys = dataclasses.replace(sub, p256dh=b64e(b"\x04" + b"\x01" * 64))
    assert isinstance(await sender.send(bad_keys, NOTE), Gone)
    bad_url = dataclasses.replace(sub, endpoint="ftp://x/y")
    assert isinstance(await sender.send(bad_url, NOTE), Gone)
