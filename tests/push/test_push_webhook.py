"""Signed webhooks against a real receiver that checks the HMAC."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest

from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone, Retry
from chinwag.push.webhook import WebhookSender, signature
from tests.push.guards import LOCAL
from tests.push.push_helpers import refused_port
from tests.push.push_servers import AsgiServers, Hooks

SECRET = b"s3cret-for-tests"
NOTE = Notification("c1", "u2", "Ann", 4)


@pytest.fixture
async def hooks(servers: AsgiServers) -> Hooks:
    receiver = Hooks(SECRET)
    await receiver.start(servers)
    return receiver


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    sender = WebhookSender(SECRET, guard=LOCAL)
    yield sender
    await sender.aclose()


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(SECRET, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1_700_000_000, body) == "sha256=" + expected


async def test_delivers_signed_json(hooks: Hooks, sender: WebhookSender) -> None:
    assert await sender.send(hooks.subscription("h1"), NOTE) == Delivered()
    assert hooks.errors == []
    [(name, body)] = hooks.received
    assert name == "h1"
    assert body == {
        "type": "chinwag.notification",
        "subscription_id": "h1",
        "user_id": "u1",
        "device_id": "d-h1",
        "notification": {"channel_id": "c1", "sender_id": "u2", "sender_name": "Ann", "count": 4},
    }


async def test_wrong_secret_is_rejected_by_the_receiver(hooks: Hooks) -> None:
    other = WebhookSender(b"another secret", guard=LOCAL)
    try:
        assert isinstance(await other.send(hooks.subscription("h1"), NOTE), Failed)
    finally:
        await other.aclose()
    assert hooks.errors == ["bad signature on h1"] and hooks.received == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Delivered),
        (202, Delivered),
        (410, Gone),
        (404, Failed),
        (400, Failed),
        (429, Retry),
        (500, Retry),
        (503, Retry),
    ],
)
async def test_answers_map_to_results(
    hooks: Hooks, sender: WebhookSender, status: int, expected: type
) -> None:
    hooks.replies["h1"] = [(status, {"Retry-After": "3"} if status == 429 else {})]
    result = await sender.send(hooks.subscription("h1"), NOTE)
    assert isinstance(result, expected)
    if status == 429:
        assert isinstance(result, Retry) and result.after == 3.0


async def test_redirects_are_not_followed(servers: AsgiServers, sender: WebhookSender) -> None:
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    async def moved(_: object) -> RedirectResponse:
        return RedirectResponse("http://169.254.169.254/latest", status_code=307)

    base = await servers.start(Starlette(routes=[Route("/", moved, methods=["POST"])]))
    sub = PushSubscription(id="h", user_id="u", device_id="d", kind="webhook", endpoint=base + "/")
    assert isinstance(await sender.send(sub, NOTE), Failed)


async def test_unreachable_or_invalid_urls(sender: WebhookSender) -> None:
    down = PushSubscription(
        id="h",
        user_id="u",
        device_id="d",
        kind="webhook",
        endpoint=f"http://127.0.0.1:{refused_port()}/hook",
    )
    assert isinstance(await sender.send(down, NOTE), Retry)
    for url in ("", "file:///etc/passwd", "not a url"):
        bad = PushSubscription(id="h", user_id="u", device_id="d", kind="webhook", endpoint=url)
        assert isinstance(await sender.send(bad, NOTE), Gone)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        WebhookSender(b"")
