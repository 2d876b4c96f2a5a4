"""PushService alone: a fake push store, the real address guard with a resolver that
answers from a table (no DNS), a fake clock."""

from __future__ import annotations

import socket

import pytest

from chinwag.clock import FakeClock
from chinwag.errors import ChinwagError, Code
from chinwag.push.guard import AddressGuard, AddressPolicy
from chinwag.push.service import NewSubscription, PushService
from tests.unit.fakes import FakePushStore

HOSTS = {"push.provider.net": "151.101.1.69", "inside.corp.net": "10.0.0.5"}


async def resolve(host: str, port: int) -> list[str]:
    if host not in HOSTS:
        raise socket.gaierror(socket.EAI_NONAME, "no such host")
    return [HOSTS[host]]


def service(vapid: str = "BKEY") -> tuple[PushService, FakePushStore]:
    store = FakePushStore()
    guard = AddressGuard(AddressPolicy(), resolve)
    return PushService(store, guard, FakeClock(1_000.0), vapid), store  # type: ignore[arg-type]


async def refused_code(svc: PushService, new: NewSubscription) -> Code:
    with pytest.raises(ChinwagError) as refused:
        await svc.subscribe("u1", "d1", new)
    return refused.value.code


async def test_a_public_webpush_endpoint_is_stored_with_the_clock_time() -> None:
    svc, store = service()
    new = NewSubscription("webpush", endpoint="https://push.provider.net/s/1", p256dh="k", auth="a")
    sub_id = await svc.subscribe("u1", "d1", new)
    sub = store.subs[sub_id]
    assert (sub.user_id, sub.device_id, sub.endpoint) == (
        "u1",
        "d1",
        "https://push.provider.net/s/1",
    )
    assert sub.created_at == 1_000_000


async def test_endpoints_inside_the_network_or_not_https_are_refused() -> None:
    svc, store = service()
    for url in ("https://inside.corp.net/x", "http://push.provider.net/x", "https://10.0.0.1/x"):
        assert await refused_code(svc, NewSubscription("webhook", url=url)) is Code.INVALID_REQUEST
    assert await refused_code(svc, NewSubscription("webhook", url="ftp://push.provider.net/")) is (
        Code.INVALID_REQUEST
    )
    assert await refused_code(svc, NewSubscription("webhook", url="https://nowhere.net/")) is (
        Code.INVALID_REQUEST
    )
    assert store.subs == {}


async def test_webpush_needs_its_keys_and_native_kinds_a_token() -> None:
    svc, store = service()
    url = "https://push.provider.net/s/1"
    assert await refused_code(svc, NewSubscription("webpush", endpoint=url)) is Code.INVALID_REQUEST
    assert await refused_code(svc, NewSubscription("fcm")) is Code.INVALID_REQUEST
    assert await svc.subscribe("u1", "d1", NewSubscription("apns", token="t"))
    assert [s.kind for s in store.subs.values()] == ["apns"]


async def test_unsubscribe_only_ones_own_and_forget_a_device() -> None:
    svc, store = service()
    sub_id = await svc.subscribe("u1", "d1", NewSubscription("fcm", token="t"))
    with pytest.raises(ChinwagError) as refused:
        await svc.unsubscribe("u2", sub_id)
    assert refused.value.code is Code.NOT_FOUND
    await svc.subscribe("u1", "d1", NewSubscription("fcm", token="t2"))
    await svc.unsubscribe("u1", sub_id)
    assert len(store.subs) == 1
    await svc.forget_device("d1")
    assert store.subs == {}


def test_the_vapid_key_is_not_found_when_web_push_is_off() -> None:
    assert service("BKEY")[0].vapid_public_key() == "BKEY"
    with pytest.raises(ChinwagError) as refused:
        service("")[0].vapid_public_key()
    assert refused.value.code is Code.NOT_FOUND
