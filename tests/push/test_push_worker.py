"""The push worker end to end: real senders, real local receivers, an in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Sender, SendResult
from chinwag.push.webhook import WebhookSender
from chinwag.push.webpush import VapidKeys, WebPushSender
from chinwag.push.worker import PushWorker, WorkerSettings
from tests.helpers.wait import wait_for
from tests.push.guards import LOCAL
from tests.push.push_helpers import MemoryPushStore, refused_port
from tests.push.push_servers import AsgiServers, Hooks, PushService

SECRET = b"worker-test-secret"
SUBJECT = "mailto:ops@example.test"
FAST = {"collapse_seconds": 0.0, "backoff_base": 0.01, "backoff_max": 0.05}

MakeWorker = Callable[..., PushWorker]


def msg(channel: str = "c1", text: str = "hello", sender: str = "u2") -> Notification:
    return Notification(channel, sender, f"name-{sender}", 1, text)


@pytest.fixture
async def hooks(servers: AsgiServers) -> Hooks:
    receiver = Hooks(SECRET)
    await receiver.start(servers)
    return receiver


@pytest.fixture
async def make_worker(hooks: Hooks) -> AsyncIterator[MakeWorker]:
    workers: list[PushWorker] = []

    def make(
        store: MemoryPushStore, senders: dict[str, Sender] | None = None, **kw: Any
    ) -> PushWorker:
        worker = PushWorker(
            store,
            senders if senders is not None else {"webhook": WebhookSender(SECRET, guard=LOCAL)},
            settings=WorkerSettings(**{**FAST, **kw}),
        )
        worker.start()
        workers.append(worker)
        return worker

    yield make
    if hooks.gate is not None:
        hooks.gate.set()
    for worker in workers:
        await worker.close()


async def settle(worker: PushWorker) -> None:
    await asyncio.wait_for(worker.join(), 20)


async def test_gone_subscriptions_are_deleted_and_others_kept(
    hooks: Hooks, make_worker: MakeWorker, servers: AsgiServers, tmp_path: Path
) -> None:
    vapid = VapidKeys.load_or_create(tmp_path)
    push_service = PushService(servers, vapid.public_key_b64url(), SUBJECT)
    await push_service.start()
    expired = push_service.subscribe("wp-expired")
    push_service.replies["wp-expired"] = [(410, {})]
    store = MemoryPushStore([hooks.subscription("h-gone"), hooks.subscription("h-ok"), expired])
    hooks.always["h-gone"] = 410
    senders: dict[str, Sender] = {
        "webhook": WebhookSender(SECRET, guard=LOCAL),
        "webpush": WebPushSender(vapid, SUBJECT, guard=LOCAL),
    }
    worker = make_worker(store, senders)
    worker.notify("u1", msg())
    await settle(worker)
    assert sorted(store.forgotten) == ["h-gone", "wp-expired"]
    assert set(store.subs) == {"h-ok"}
    assert hooks.notes("h-ok") == [msg().without_text().to_dict()]
    assert (worker.sent, worker.gone, worker.failed, worker.dropped) == (1, 2, 0, 0)
    assert hooks.errors == [] and push_service.errors == []


async def test_429_is_retried_no_sooner_than_retry_after(
    hooks: Hooks, make_worker: MakeWorker
) -> None:
    store = MemoryPushStore([hooks.subscription("h1")])
    hooks.replies["h1"] = [(429, {"Retry-After": "1"})]
    worker = make_worker(store)
    worker.notify("u1", msg())
    await settle(worker)
    (_, first), (_, second) = hooks.attempts
    assert second - first >= 1.0  # the provider's Retry-After, not the 10 ms backoff
    assert len(hooks.notes("h1")) == 1
    assert (worker.sent, worker.retried, worker.failed) == (1, 1, 0)


@pytest.mark.parametrize("include_text", [False, True])
async def test_a_burst_becomes_one_notification_with_the_count(
    hooks: Hooks, make_worker: MakeWorker, include_text: bool
) -> None:
    store = MemoryPushStore([hooks.subscription("h1"), hooks.subscription("h2", user_id="u2")])
    worker = make_worker(store, collapse_seconds=0.3, include_text=include_text)
    for i in range(5):
        worker.notify("u1", msg(text=f"message {i}", sender=f"s{i}"))
    worker.notify("u1", msg(channel="c2"))
    worker.notify("u2", msg())
    await settle(worker)
    by_channel = {n["channel_id"]: n for n in hooks.notes("h1")}
    assert len(hooks.notes("h1")) == 2 and by_channel["c2"]["count"] == 1
    burst = by_channel["c1"]
    assert burst["count"] == 5 and burst["sender_id"] == "s4"
    assert burst.get("text") == ("message 4" if include_text else None)
    assert [n["count"] for n in hooks.notes("h2")] == [1]
    assert worker.sent == 3


async def test_a_newer_burst_joins_a_pending_retry(hooks: Hooks, make_worker: MakeWorker) -> None:
    store = MemoryPushStore([hooks.subscription("h1")])
    hooks.replies["h1"] = [(503, {"Retry-After": "1"})]
    worker = make_worker(store)
    worker.notify("u1", msg())
    await wait_for(lambda: worker.retried == 1)
    worker.notify("u1", msg())
    worker.notify("u1", msg())
    await settle(worker)
    assert [n["count"] for n in hooks.notes("h1")] == [3]


async def test_a_provider_down_loses_nothing_else(hooks: Hooks, make_worker: MakeWorker) -> None:
    down = PushSubscription(
        id="h-down",
        user_id="u1",
        device_id="d",
        kind="webhook",
        endpoint=f"http://127.0.0.1:{refused_port()}/hook",
    )
    store = MemoryPushStore([down, hooks.subscription("h-500"), hooks.subscription("h-ok")])
    hooks.always["h-500"] = 500
    worker = make_worker(store, max_retries=2)
    for channel in ("c1", "c2", "c3"):
        worker.notify("u1", msg(channel))
    await settle(worker)
    assert sorted(n["channel_id"] for n in hooks.notes("h-ok")) == ["c1", "c2", "c3"]
    assert (worker.sent, worker.failed, worker.retried, worker.dropped) == (3, 6, 12, 0)
    assert set(store.subs) == {"h-down", "h-500", "h-ok"}  # failing is not gone
    assert sum(1 for name, _ in hooks.attempts if name == "h-500") == 9


async def test_the_queue_is_bounded_while_a_provider_stalls(
    hooks: Hooks, make_worker: MakeWorker
) -> None:
    store = MemoryPushStore([hooks.subscription("h1")])
    hooks.gate = asyncio.Event()  # the provider accepts connections but never answers
    worker = make_worker(store, max_queue=5, concurrency=1)
    total = 200
    for i in range(total):
        worker.notify("u1", msg(channel=f"c{i}"))
        assert worker.queued <= 5
        await asyncio.sleep(0)
    assert worker.dropped >= total - 5 - 1  # at most one more is in flight
    hooks.gate.set()
    await settle(worker)
    assert worker.sent + worker.dropped == total
    assert len(hooks.notes("h1")) == worker.sent


async def test_retries_count_against_the_bound(hooks: Hooks, make_worker: MakeWorker) -> None:
    store = MemoryPushStore([hooks.subscription("h1")])
    hooks.always["h1"] = 503
    worker = make_worker(store, max_queue=3, max_retries=50, backoff_base=0.05, backoff_max=0.05)
    for i in range(50):
        worker.notify("u1", msg(channel=f"c{i}"))
        await asyncio.sleep(0.001)
        assert worker.queued <= 3
    assert worker.dropped >= 40


class Exploding:
    """A sender with a bug: the worker must carry on."""

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        raise RuntimeError("bug")

    async def aclose(self) -> None:
        raise RuntimeError("bug on close too")


class BrokenStore(MemoryPushStore):
    async def subscriptions_of(self, user_id: str) -> list[PushSubscription]:
        if user_id == "broken":
            raise OSError("database is down")
        return await super().subscriptions_of(user_id)


async def test_bugs_and_outages_do_not_stop_the_worker(
    hooks: Hooks, make_worker: MakeWorker
) -> None:
    boom = PushSubscription(id="x", user_id="u1", device_id="d", kind="apns", token="ab")
    fcm = PushSubscription(id="f", user_id="u1", device_id="d", kind="fcm", token="t")
    store = BrokenStore([boom, fcm, hooks.subscription("h1")])
    senders: dict[str, Sender] = {
        "webhook": WebhookSender(SECRET, guard=LOCAL),
        "apns": Exploding(),
    }
    worker = make_worker(store, senders)
    worker.notify("broken", msg())
    worker.notify("u1", msg())
    await settle(worker)
    assert len(hooks.notes("h1")) == 1  # fcm has no sender here: skipped
    assert (worker.sent, worker.failed, worker.dropped) == (1, 1, 1)


async def test_close_cancels_everything_it_started(hooks: Hooks, make_worker: MakeWorker) -> None:
    before = asyncio.all_tasks()
    store = MemoryPushStore([hooks.subscription("h1")])
    hooks.gate = asyncio.Event()
    worker = make_worker(store, collapse_seconds=30.0)
    worker.notify("u1", msg("pending"))  # waits in its collapse window
    worker2 = make_worker(store)
    worker2.notify("u1", msg("in-flight"))
    await wait_for(lambda: len(hooks.attempts) == 1)  # a request is in flight
    await worker.close()
    await worker2.close()
    leftover = {t for t in asyncio.all_tasks() - before if t.get_name().startswith("push-")}
    assert leftover == set()
    assert worker2.queued == 0
    worker.notify("u1", msg())  # after close: counted, not queued
    assert worker.dropped == 1 and worker.queued == 0
