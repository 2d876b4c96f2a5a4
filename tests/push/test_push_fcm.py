"""FCM HTTP v1 against a real stand-in for Google's OAuth2 token endpoint and FCM."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chinwag.clock import FakeClock
from chinwag.push.fcm import SCOPE, FcmSender, ServiceAccount
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone, Retry
from tests.push.guards import LOCAL
from tests.push.push_helpers import refused_port, verify_rs256
from tests.push.push_servers import AsgiServers

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
NOTE = Notification("c1", "u2", "Ann", 2, "hi there")
SUB = PushSubscription(id="s1", user_id="u1", device_id="d1", kind="fcm", token="reg-token-1")


def unregistered() -> tuple[int, dict[str, Any]]:
    return 404, {
        "error": {
            "code": 404,
            "message": "Requested entity was not found.",
            "status": "NOT_FOUND",
            "details": [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "UNREGISTERED",
                }
            ],
        }
    }


class Google:
    """OAuth2 JWT-bearer grant (RFC 7523) and `messages:send`, checking both like Google."""

    def __init__(self, key: rsa.RSAPrivateKey, now: Callable[[], float]) -> None:
        self.public = key.public_key()
        self.now = now
        self.aud = GOOGLE_TOKEN_URI
        self.grants: list[dict[str, Any]] = []
        self.valid_tokens: set[str] = set()
        self.messages: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.replies: list[tuple[int, Any, dict[str, str]]] = []
        self.token_replies: list[tuple[int, Any]] = []
        self.base = ""

    async def start(self, servers: AsgiServers) -> None:
        self.base = await servers.start(
            Starlette(
                routes=[
                    Route("/token", self.token, methods=["POST"]),
                    Route("/v1/projects/{project}/messages:send", self.send, methods=["POST"]),
                ]
            )
        )

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        try:
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
            assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            header, claims = verify_rs256(form["assertion"], self.public)
            assert header["kid"] == "key-1"
            assert claims["iss"] == "push@proj.iam.gserviceaccount.com"
            assert claims["scope"] == SCOPE
            assert claims["aud"] == self.aud
            assert abs(claims["iat"] - self.now()) < 60 and claims["exp"] - claims["iat"] <= 3600
        except Exception as exc:
            self.errors.append(repr(exc))
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if self.token_replies:
            status, body = self.token_replies.pop(0)
            return JSONResponse(body, status_code=status)
        token = f"ya29.token-{len(self.grants)}"
        self.grants.append(claims)
        self.valid_tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    async def send(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid_tokens:
            return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
        assert request.path_params["project"] == "proj"
        body = json.loads(await request.body())
        self.messages.append(body)
        if self.replies:
            status, reply, headers = self.replies.pop(0)
            if isinstance(reply, bytes):
                return Response(reply, status_code=status, headers=headers)
            return JSONResponse(reply, status_code=status, headers=headers)
        return JSONResponse({"name": f"projects/proj/messages/{len(self.messages)}"})


@pytest.fixture
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def account_file(tmp_path: Path, key: rsa.RSAPrivateKey, token_uri: str) -> Path:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "push@proj.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=time.time())


@pytest.fixture
async def google(servers: AsgiServers, key: rsa.RSAPrivateKey, clock: FakeClock) -> Google:
    stand_in = Google(key, clock.now)
    await stand_in.start(servers)
    return stand_in


@pytest.fixture
async def sender(
    google: Google, key: rsa.RSAPrivateKey, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[FcmSender]:
    account = ServiceAccount.from_file(account_file(tmp_path, key, GOOGLE_TOKEN_URI))
    sender = FcmSender(
        account,
        endpoint=google.base + "/v1/projects/{project_id}/messages:send",
        token_url=google.base + "/token",
        guard=LOCAL,
        now=clock.now,
    )
    yield sender
    await sender.aclose()


async def test_sends_with_one_cached_access_token(google: Google, sender: FcmSender) -> None:
    assert await sender.send(SUB, NOTE) == Delivered()
    assert await sender.send(SUB, NOTE) == Delivered()
    assert google.errors == []
    assert len(google.grants) == 1
    message = google.messages[0]["message"]
    assert message["token"] == "reg-token-1"
    assert message["notification"] == {"title": "Ann", "body": "hi there"}
    assert message["data"] == {
        "channel_id": "c1",
        "sender_id": "u2",
        "sender_name": "Ann",
        "count": "2",
        "text": "hi there",
    }


async def test_without_text_says_how_many(google: Google, sender: FcmSender) -> None:
    assert await sender.send(SUB, Notification("c1", "u2", "Ann", 3)) == Delivered()
    message = google.messages[0]["message"]
    assert message["notification"]["body"] == "3 new messages"
    assert "text" not in message["data"]


async def test_concurrent_sends_share_one_grant(google: Google, sender: FcmSender) -> None:
    results = await asyncio.gather(*(sender.send(SUB, NOTE) for _ in range(10)))
    assert results == [Delivered()] * 10
    assert len(google.grants) == 1


async def test_token_is_renewed_shortly_before_expiry(
    google: Google, sender: FcmSender, clock: FakeClock
) -> None:
    await sender.send(SUB, NOTE)
    clock.advance(3000)
    await sender.send(SUB, NOTE)
    assert len(google.grants) == 1
    clock.advance(570)  # 3570 s of a 3599 s token: inside the renewal margin
    await sender.send(SUB, NOTE)
    assert len(google.grants) == 2
    assert google.errors == []


async def test_rejected_token_is_dropped_and_retried(google: Google, sender: FcmSender) -> None:
    await sender.send(SUB, NOTE)
    google.valid_tokens.clear()  # Google revoked it early
    assert isinstance(await sender.send(SUB, NOTE), Retry)
    assert await sender.send(SUB, NOTE) == Delivered()
    assert len(google.grants) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (*unregistered(), {}, Gone),
        (404, {"error": {"code": 404, "status": "NOT_FOUND"}}, {}, Gone),
        (400, {"error": {"code": 400, "status": "UNREGISTERED"}}, {}, Gone),
        (400, {"error": {"code": 400, "status": "INVALID_ARGUMENT"}}, {}, Failed),
        (404, b"<html>no such route</html>", {}, Failed),
        (
            429,
            {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}},
            {"Retry-After": "5"},
            Retry,
        ),
        (503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, {}, Retry),
    ],
)
async def test_answers_map_to_results(
    google: Google,
    sender: FcmSender,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: type,
) -> None:
    google.replies.append((status, body, headers))
    result = await sender.send(SUB, NOTE)
    assert isinstance(result, expected), result
    if status == 429:
        assert isinstance(result, Retry) and result.after == 5.0


async def test_grant_failures(google: Google, sender: FcmSender) -> None:
    google.token_replies.append((503, {"error": "backend"}))
    assert isinstance(await sender.send(SUB, NOTE), Retry)
    google.token_replies.append((400, {"error": "invalid_grant"}))
    assert isinstance(await sender.send(SUB, NOTE), Failed)
    assert await sender.send(SUB, NOTE) == Delivered()


async def test_token_uri_of_the_account_is_used_by_default(
    google: Google, key: rsa.RSAPrivateKey, clock: FakeClock, tmp_path: Path
) -> None:
    google.aud = google.base + "/token"
    account = ServiceAccount.from_file(account_file(tmp_path, key, google.aud))
    sender = FcmSender(
        account,
        endpoint=google.base + "/v1/projects/{project_id}/messages:send",
        guard=LOCAL,
        now=clock.now,
    )
    try:
        assert await sender.send(SUB, NOTE) == Delivered()
    finally:
        await sender.aclose()
    assert google.errors == [] and len(google.grants) == 1


async def test_unreachable_fcm_is_retried(key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{refused_port()}"
    account = ServiceAccount.from_file(account_file(tmp_path, key, down + "/token"))
    sender = FcmSender(
        account, endpoint=down + "/v1/projects/{project_id}/messages:send", guard=LOCAL
    )
    try:
        assert isinstance(await sender.send(SUB, NOTE), Retry)
    finally:
        await sender.aclose()


def test_bad_service_account_files_are_refused(tmp_path: Path) -> None:
    for content in ("not json", json.dumps({"project_id": "p"})):
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(ValueError, match="FCM service account"):
            ServiceAccount.from_file(path)
    with pytest.raises(ValueError):
        ServiceAccount.from_file(tmp_path / "missing.json")
