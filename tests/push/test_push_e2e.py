"""Push through the whole server: offline members are pushed after the grace period,
online and reconnecting ones are not, logout removes a device's subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import api
from tests.helpers.dns import FakeDns
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient
from tests.push.push_servers import AsgiServers, Hooks, PushService

SECRET = "e2e-webhook-secret"


@pytest.fixture
async def chat(tmp_path: Path, store_url: str) -> AsyncIterator[RunningServer]:
    settings = test_settings(
        tmp_path / "data",
        store_url,
        presence_grace=0.5,
        presence_timeout=5.0,
        push_collapse_seconds=0.3,
        webhook_secret=SECRET,
        push_allow_private_urls=True,
    )
    async with run_server(settings) as srv:
        yield srv


async def _hook(http: httpx.AsyncClient, user: api.TestUser, hooks: Hooks, name: str) -> str:
    r = await http.post(
        "/v1/push/subscriptions",
        json={"kind": "webhook", "url": hooks.url(name)},
        headers=user.auth,
    )
    assert r.status_code == 201, r.text
    sub_id: str = r.json()["id"]
    return sub_id


async def test_offline_member_pushed_online_not(chat: RunningServer, servers: AsgiServers) -> None:
    hooks = Hooks(SECRET.encode())
    await hooks.start(servers)
    async with httpx.AsyncClient(base_url=chat.base_url) as http:
        a, b, c = [await api.signup(http) for _ in range(3)]
        await api.befriend(http, a, b)
        await api.befriend(http, a, c)
        ab, ac = await api.direct(http, a, b), await api.direct(http, a, c)
        await _hook(http, b, hooks, "b")
        await _hook(http, c, hooks, "c")
        await _hook(http, a, hooks, "a")
        wc = await WsClient.connect(chat.ws_url)
        await wc.hello(c.token)  # c is online: never pushed
        for i in range(3):  # a burst to the offline b collapses into one notification
            await http.post(
                f"/v1/channels/{ab}/messages",
                json={"client_msg_id": f"b{i}", "text": "secret"},
                headers=a.auth,
            )
        await http.post(
            f"/v1/channels/{ac}/messages",
            json={"client_msg_id": "c0", "text": "hi"},
            headers=a.auth,
        )
        await wait_for(lambda: len(hooks.notes("b")) >= 1, timeout=10)
        await asyncio.sleep(0.8)
        notes = hooks.notes("b")
        assert notes == [
            {"channel_id": ab, "sender_id": a.id, "sender_name": a.username, "count": 3}
        ]
        assert "secret" not in str(hooks.received)  # text only when the operator enables it
        assert hooks.notes("c") == [] and hooks.notes("a") == [] and hooks.errors == []
        await wc.close()


async def test_reconnecting_member_within_grace_not_pushed(
    chat: RunningServer, servers: AsgiServers
) -> None:
    hooks = Hooks(SECRET.encode())
    await hooks.start(servers)
    async with httpx.AsyncClient(base_url=chat.base_url) as http:
        a, b = await api.signup(http), await api.signup(http)
        await api.befriend(http, a, b)
        ab = await api.direct(http, a, b)
        await _hook(http, b, hooks, "b")
        wb = await WsClient.connect(chat.ws_url)
        await wb.hello(b.token)
        await wb.close()  # drops, and comes back within the grace period
        await http.post(
            f"/v1/channels/{ab}/messages", json={"client_msg_id": "g", "text": "x"}, headers=a.auth
        )
        wb = await WsClient.connect(chat.ws_url)
        await wb.hello(b.token)
        await asyncio.sleep(1.5)
        assert hooks.notes("b") == []
        await wb.close()


async def test_webpush_end_to_end_and_logout_removes(
    chat: RunningServer, servers: AsgiServers
) -> None:
    async with httpx.AsyncClient(base_url=chat.base_url) as http:
        key = (await http.get("/v1/push/vapid-public-key")).json()["key"]
        service = PushService(servers, key, chat.app.settings.vapid_subject)
        await service.start()
        a, b = await api.signup(http), await api.signup(http)
        await api.befriend(http, a, b)
        ab = await api.direct(http, a, b)
        sub = service.subscribe("browser1", b.id)
        r = await http.post(
            "/v1/push/subscriptions",
            json={
                "kind": "webpush",
                "endpoint": sub.endpoint,
                "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
            },
            headers=b.auth,
        )
        assert r.status_code == 201
        # The service's path is its own sub id; map the server's id to it.
        await http.post(
            f"/v1/channels/{ab}/messages", json={"client_msg_id": "w", "text": "x"}, headers=a.auth
        )
        await wait_for(lambda: len(service.received) == 1, timeout=10)
        _, payload, _ = service.received[0]
        assert payload["channel_id"] == ab and payload["count"] == 1 and service.errors == []
        # Logging out removes the device's subscriptions.
        assert (await http.delete("/v1/sessions/current", headers=b.auth)).status_code == 204
        assert await chat.app.services.store.push.subscriptions_of(b.id) == []


async def test_subscription_validation(chat: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=chat.base_url) as http:
        a = await api.signup(http)
        bad = [
            {"kind": "webpush", "endpoint": "https://push.example/x"},
            {
                "kind": "webpush",
                "endpoint": "ftp://push.example/x",
                "keys": {"p256dh": "a", "auth": "b"},
            },
            {"kind": "fcm"},
            {"kind": "carrier-pigeon", "token": "x"},
            {"kind": "webhook", "url": "not a url"},
        ]
        for body in bad:
            r = await http.post("/v1/push/subscriptions", json=body, headers=a.auth)
            assert r.status_code == 400, body
        r = await http.post(
            "/v1/push/subscriptions", json={"kind": "fcm", "token": "tok"}, headers=a.auth
        )
        assert r.status_code == 201
        sub_id = r.json()["id"]
        other = await api.signup(http)
        assert (
            await http.delete(f"/v1/push/subscriptions/{sub_id}", headers=other.auth)
        ).status_code == 404
        assert (
            await http.delete(f"/v1/push/subscriptions/{sub_id}", headers=a.auth)
        ).status_code == 204
        assert (
            await http.delete(f"/v1/push/subscriptions/{sub_id}", headers=a.auth)
        ).status_code == 404


async def test_private_endpoints_refused_by_default(tmp_path: Path) -> None:
    dns = FakeDns({"hooks.public-push.net": ["93.184.216.34"]})
    async with (
        run_server(test_settings(tmp_path / "d"), resolver=dns) as srv,
        httpx.AsyncClient(base_url=srv.base_url) as http,
    ):
        a = await api.signup(http)
        for url in (
            "http://127.0.0.1:9/x",
            "https://localhost/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "http://push.example/x",
        ):
            r = await http.post(
                "/v1/push/subscriptions", json={"kind": "webhook", "url": url}, headers=a.auth
            )
            assert r.status_code == 400, url
        r = await http.post(
            "/v1/push/subscriptions",
            json={"kind": "webhook", "url": "https://hooks.public-push.net/x"},
            headers=a.auth,
        )
        assert r.status_code == 201
