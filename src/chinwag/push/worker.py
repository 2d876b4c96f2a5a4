"""The push worker: from "this user has no device online" to provider requests.

Guarantees:
- `notify` never blocks and never raises: it queues, merges into a pending burst, or, when
  `max_queue` items are already waiting, drops and counts (the message is in history).
- Memory is bounded: pending bursts, queued work and scheduled retries together never
  exceed `max_queue`; requests in flight never exceed `concurrency` bursts.
- A burst per (user, channel) within `collapse_seconds` is one notification with the
  summed count; message text reaches senders only when `include_text` is set.
- A `Retry` is retried at most `max_retries` times with jittered exponential backoff,
  never before the provider's Retry-After; a newer burst for a subscription and channel
  that are waiting to retry joins that retry instead of overtaking it.
- `Gone` subscriptions are deleted with `PushStore.forget_subscription`.
- One failing provider or subscription never holds up or loses the others' notifications.
- `close` cancels and awaits every task it started, then closes the senders it was given.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chinwag.push.collapse import Burst, Collapser, backoff
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification
from chinwag.push.result import Delivered, Failed, Gone, Retry, Sender, SendResult
from chinwag.push.store import PushStore

log = logging.getLogger("chinwag.push")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    collapse_seconds: float = 2.0
    include_text: bool = False
    max_queue: int = 10_000
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    concurrency: int = 16


@dataclass(slots=True)
class _Job:
    """One notification for one subscription, kept while it waits to be retried."""

    sub: PushSubscription
    note: Notification
    retries: int = 0


class PushWorker:
    """Collapses, sends and retries push notifications in background tasks."""

    def __init__(
        self,
        store: PushStore,
        senders: Mapping[str, Sender],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        settings: WorkerSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._senders = dict(senders)
        self._monotonic = monotonic
        self._settings = settings or WorkerSettings()
        self._rng = rng or random.Random()
        self._bursts = Collapser(self._settings.collapse_seconds)
        self._ready: asyncio.Queue[Burst | _Job] = asyncio.Queue()
        self._retries: list[tuple[float, int, _Job]] = []  # heap on (not_before, seq)
        self._waiting: dict[tuple[str, str], _Job] = {}  # (sub id, channel id) -> retry job
        self._seq = itertools.count()
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.sent = 0
        self.retried = 0
        self.gone = 0
        self.dropped = 0
        self.failed = 0

    @property
    def queued(self) -> int:
        """Bursts pending, work queued and retries scheduled: what `max_queue` bounds."""
        return len(self._bursts) + self._ready.qsize() + len(self._retries)

    def notify(self, user_id: str, notification: Notification) -> None:
        """Queue a notification for every push subscription of `user_id`."""
        if self._closed:
            self.dropped += 1
            return
        note = notification if self._settings.include_text else notification.without_text()
        key = (user_id, note.channel_id)
        if key not in self._bursts and self.queued >= self._settings.max_queue:
            self.dropped += 1
            return
        self._bursts.add(user_id, note, self._monotonic())
        self._changed()

    def start(self) -> None:
        """Start the scheduler and the delivery tasks on the running loop."""
        if self._tasks or self._closed:
            return
        self._tasks.append(asyncio.create_task(self._schedule(), name="push-scheduler"))
        for i in range(max(1, self._settings.concurrency)):
            self._tasks.append(asyncio.create_task(self._deliver(), name=f"push-deliver-{i}"))

    async def join(self) -> None:
        """Wait until nothing is pending, queued, scheduled for retry or in flight."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop: cancel and await the tasks, forget what is pending, close the senders."""
        if self._closed and not self._tasks:
            return  # already closed
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._bursts.clear()
        self._retries.clear()
        self._waiting.clear()
        while not self._ready.empty():
            self._ready.get_nowait()
        self._in_flight = 0
        self._changed()
        for kind, sender in self._senders.items():
            try:
                await sender.aclose()
            except Exception:
                log.exception("closing the %s push sender failed", kind)

    def _changed(self) -> None:
        self._wake.set()
        if self.queued or self._in_flight:
            self._idle.clear()
        else:
            self._idle.set()

    async def _schedule(self) -> None:
        """Move due bursts and due retries to the delivery queue, then sleep until the next."""
        while True:
            self._wake.clear()
            now = self._monotonic()
            for burst in self._bursts.pop_due(now):
                self._ready.put_nowait(burst)
            while self._retries and self._retries[0][0] <= now:
                job = heapq.heappop(self._retries)[2]
                key = (job.sub.id, job.note.channel_id)
                if self._waiting.get(key) is job:
                    del self._waiting[key]
                self._ready.put_nowait(job)
            deadlines = [d for d in (self._bursts.next_due(), self._next_retry()) if d is not None]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _next_retry(self) -> float | None:
        return self._retries[0][0] if self._retries else None

    async def _deliver(self) -> None:
        while True:
            item = await self._ready.get()
            self._in_flight += 1
            try:
                if isinstance(item, Burst):
                    await self._send_burst(item)
                else:
                    await self._attempt(item)
            except Exception:
                log.exception("push delivery failed unexpectedly")
            finally:
                self._in_flight -= 1
                self._changed()

    async def _send_burst(self, burst: Burst) -> None:
        try:
            subs = await self._store.subscriptions_of(burst.user_id)
        except Exception:
            # The message stays in history; a store outage must not stop the worker.
            log.exception("push: cannot read subscriptions of user %s", burst.user_id)
            self.dropped += 1
            return
        jobs: list[_Job] = []
        for sub in subs:
            if sub.kind not in self._senders:
                continue
            waiting = self._waiting.get((sub.id, burst.note.channel_id))
            if waiting is not None:
                # The provider asked us to wait for this subscription: join that retry.
                waiting.note = waiting.note.merged(burst.note)
            else:
                jobs.append(_Job(sub, burst.note))
        await asyncio.gather(*(self._attempt(job) for job in jobs))

    async def _attempt(self, job: _Job) -> None:
        sender = self._senders[job.sub.kind]
        try:
            result: SendResult = await sender.send(job.sub, job.note)
        except Exception as exc:
            log.exception("push: %s sender raised", job.sub.kind)
            result = Failed(repr(exc))
        match result:
            case Delivered():
                self.sent += 1
            case Gone(reason=reason):
                self.gone += 1
                log.info("push: %s subscription %s is gone (%s)", job.sub.kind, job.sub.id, reason)
                try:
                    await self._store.forget_subscription(job.sub.id)
                except Exception:
                    log.exception("push: cannot delete gone subscription %s", job.sub.id)
            case Retry(after=after, reason=reason):
                self._retry(job, after, reason)
            case Failed(reason=reason):
                self.failed += 1
                log.warning("push: %s send to %s failed: %s", job.sub.kind, job.sub.id, reason)

    def _retry(self, job: _Job, after: float | None, reason: str) -> None:
        settings = self._settings
        if job.retries >= settings.max_retries:
            self.failed += 1
            log.warning(
                "push: giving up on %s after %d retries: %s", job.sub.id, job.retries, reason
            )
            return
        if self._closed or self.queued >= settings.max_queue:
            self.dropped += 1
            return
        delay = backoff(job.retries, settings.backoff_base, settings.backoff_max, after, self._rng)
        job.retries += 1
        self.retried += 1
        log.debug("push: retrying %s in %.1fs: %s", job.sub.id, delay, reason)
        heapq.heappush(self._retries, (self._monotonic() + delay, next(self._seq), job))
        self._waiting[(job.sub.id, job.note.channel_id)] = job
        self._changed()
