"""SSRF through push: every spelling of a private address is refused at registration,
and every sender checks what a name resolves to again when it connects."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.push.apns import ApnsSender
from chinwag.push.guard import AddressGuard, AddressPolicy, is_public
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone
from chinwag.push.webhook import WebhookSender
from chinwag.push.webpush import VapidKeys, WebPushSender
from tests.helpers import api
from tests.helpers.dns import FakeDns
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wait import wait_for
from tests.push.push_helpers import Browser, refused_port
from tests.push.push_servers import AsgiServers, Hooks

SECRET = b"ssrf-test-secret"
NOTE = Notification("c1", "u2", "bob", 1)
PUBLIC = "93.184.216.34"

# Loopback, private, link-local and special addresses, spelled every way a URL parser
# and the system resolver will take them.
PRIVATE_URLS = [
    "https://2130706433/x",  # decimal
    "https://0x7f.1/x",  # hex, short
    "https://0x7f000001/x",
    "https://017700000001/x",  # octal
    "https://127.1/x",  # short
    "https://0/x",
    "https://localhost./x",  # trailing dot
    "https://LOCALHOST/x",
    "https://app.localhost/x",
    "https://printer.local/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "https://[::ffff:7f00:1]/x",
    "https://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
    "https://[64:ff9b::a00:1]/x",  # NAT64 of 10.0.0.1
    "https://[fe80::1]/x",
    "https://10.1/x",
    "https://169.254.169.254/latest",  # cloud metadata
    "https://100.64.0.1/x",  # carrier-grade NAT
    "https://rebound.fake-push.net/x",  # a name that resolves to loopback
    "https://split.fake-push.net/x",  # a name with one public and one private address
]


def _dns() -> FakeDns:
    return FakeDns(
        {
            "push.fake-push.net": [PUBLIC],
            "rebound.fake-push.net": ["127.0.0.1"],
            "split.fake-push.net": [PUBLIC, "10.0.0.7"],
        }
    )


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[tuple[RunningServer, FakeDns]]:
    dns = _dns()
    async with run_server(test_settings(tmp_path / "data"), resolver=dns) as srv:
        yield srv, dns


def test_address_rule() -> None:
    for text in ("93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"):
        assert is_public(ipaddress.ip_address(text)), text
    for text in (
        "127.0.0.1",
        "10.2.3.4",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::7f00:1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ):
        assert not is_public(ipaddress.ip_address(text)), text
    relay = AddressPolicy(allowed=(ipaddress.ip_network("10.9.0.0/16"),))
    assert relay.permits("10.9.1.1") and relay.permits("::ffff:10.9.1.1")
    assert not relay.permits("10.8.1.1") and relay.permits(PUBLIC)


async def test_registration_refuses_private_addresses(
    strict: tuple[RunningServer, FakeDns],
) -> None:
    srv, _ = strict
    async with httpx.AsyncClient(base_url=srv.base_url) as http:
        user = await api.signup(http)
        for url in PRIVATE_URLS:
            for body in (
                {"kind": "webhook", "url": url},
                {"kind": "webpush", "endpoint": url, "keys": {"p256dh": "k", "auth": "a"}},
            ):
                r = await http.post("/v1/push/subscriptions", json=body, headers=user.auth)
                assert r.status_code == 400, (body, r.text)
                assert "public https URL" in r.json()["error"]["message"], (body, r.text)
        assert await srv.app.services.store.push.subscriptions_of(user.id) == []


async def test_registration_resolves_public_names(strict: tuple[RunningServer, FakeDns]) -> None:
    srv, dns = strict
    async with httpx.AsyncClient(base_url=srv.base_url) as http:
        user = await api.signup(http)
        r = await http.post(
            "/v1/push/subscriptions",
            json={"kind": "webhook", "url": "https://push.fake-push.net/hook"},
            headers=user.auth,
        )
        assert r.status_code == 201, r.text
        assert "push.fake-push.net" in dns.asked
        r = await http.post(
            "/v1/push/subscriptions",
            json={"kind": "webhook", "url": "https://nowhere.fake-push.net/hook"},
            headers=user.auth,
        )
        assert r.status_code == 400  # does not resolve


async def test_senders_refuse_private_spellings_when_connecting(servers: AsgiServers) -> None:
    """A subscription stored before these rules (or by any other path) still cannot
    reach loopback: the default guard refuses the connection, and the receiver, alive
    on that address, hears nothing."""
    hooks = Hooks(SECRET)
    await hooks.start(servers)
    port = httpx.URL(hooks.base).port
    sender = WebhookSender(SECRET)  # the default guard: public addresses only
    try:
        for host in ("2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "localhost"):
            sub = PushSubscription(
                id="h", user_id="u1", device_id="d1", kind="webhook",
                endpoint=f"http://{host}:{port}/hook/h1",
            )  # fmt: skip
            result = await sender.send(sub, NOTE)
            assert isinstance(result, Gone), (host, result)
    finally:
        await sender.aclose()
    assert hooks.attempts == []


async def test_every_sender_checks_at_connect_time(servers: AsgiServers, tmp_path: Path) -> None:
    """The name resolved to a permitted address at first and to another later (DNS
    rebinding): the sender connects only while it resolves to a permitted one."""
    hooks = Hooks(SECRET)
    await hooks.start(servers)
    port = httpx.URL(hooks.base).port
    dns = FakeDns({"hooks.fake-push.net": ["127.0.0.1"]})
    # An operator's relay network stands for "public" here: the receiver is on loopback.
    relay = AddressGuard(AddressPolicy(allowed=(ipaddress.ip_network("127.0.0.1/32"),)), dns)
    sub = PushSubscription(
        id="h", user_id="u1", device_id="d1", kind="webhook",
        endpoint=f"http://hooks.fake-push.net:{port}/hook/h1",
    )  # fmt: skip
    first = WebhookSender(SECRET, guard=relay)
    try:
        assert await first.send(sub, NOTE) == Delivered()  # by address, Host kept
    finally:
        await first.aclose()
    assert len(hooks.notes("h1")) == 1
    dns.names["hooks.fake-push.net"] = ["127.0.0.2"]  # loopback, not the relay network
    webpush_sub = Browser().subscription("w", sub.endpoint)
    for sender, target in (
        (WebhookSender(SECRET, guard=relay), sub),
        (
            WebPushSender(VapidKeys.load_or_create(tmp_path), "mailto:a@b.c", guard=relay),
            webpush_sub,
        ),
    ):
        try:
            result = await sender.send(target, NOTE)
        finally:
            await sender.aclose()
        assert isinstance(result, Gone), result  # the subscription is dropped
    assert len(hooks.attempts) == 1


async def test_provider_urls_are_checked_too(tmp_path: Path) -> None:
    """FCM and APNs connect to the operator's URLs; they obey the same rule, and a
    refusal fails the message without dropping the device's subscription."""
    key = ec.generate_private_key(ec.SECP256R1())
    apns = ApnsSender(
        key, key_id="K", team_id="T", topic="t", url=f"https://2130706433:{refused_port()}"
    )
    sub = PushSubscription(id="a", user_id="u1", device_id="d1", kind="apns", token="ab12")
    try:
        result = await apns.send(sub, NOTE)
    finally:
        await apns.aclose()
    assert isinstance(result, Failed) and "refused" in result.reason


async def test_rebinding_after_registration_drops_the_subscription(
    tmp_path: Path, servers: AsgiServers
) -> None:
    """Through the whole server: registered while the name was public, pushed after it
    moved to loopback. Nothing reaches the receiver and the subscription is deleted."""
    hooks = Hooks(SECRET)
    await hooks.start(servers)
    port = httpx.URL(hooks.base).port
    dns = FakeDns({"hooks.fake-push.net": [PUBLIC]})
    settings = test_settings(
        tmp_path / "data",
        presence_grace=0.2,
        push_collapse_seconds=0.1,
        webhook_secret=SECRET.decode(),
    )
    async with (
        run_server(settings, resolver=dns) as srv,
        httpx.AsyncClient(base_url=srv.base_url) as http,
    ):
        a, b, channel = await api.friends_in_chat(http)
        r = await http.post(
            "/v1/push/subscriptions",
            json={"kind": "webhook", "url": f"https://hooks.fake-push.net:{port}/hook/b"},
            headers=b.auth,
        )
        assert r.status_code == 201, r.text
        dns.names["hooks.fake-push.net"] = ["127.0.0.1"]
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": "m1", "text": "hi"},
            headers=a.auth,
        )
        assert r.status_code == 201
        store = srv.app.services.store

        async def dropped() -> bool:
            return await store.push.subscriptions_of(b.id) == []

        await wait_for(dropped, timeout=10)
    assert hooks.attempts == []
