"""The bus across processes, over NATS core subjects (names in bus/subjects.py).

Guarantees, beyond those of every bus (bus/base.py):
- Publishing is a synchronous append to a bounded queue that one task drains, in order,
  into nats-py, whose own pending buffer (also bounded) carries messages across a
  reconnect. When either is full, or NATS refuses a message, it is dropped and counted
  in `stats.dropped`: storage committed it first, and the device's cursor repairs the gap.
- A gateway subscribes only for the users and large groups it holds sockets of. The
  subscriptions follow watch_*/unwatch_*; nats-py restores them after a reconnect.
- Frames reach the sink as they arrive: one publisher's in publish order, several
  publishers' interleaved. Putting a device's frames in inbox-seq order, and repairing
  what was dropped, is the gateway's work (gateway/session.py).
- Push events (`push`) reach exactly one process among those that called `on_push`.

Other NATS parts of the process (the presence link, the gateway registry) share this
connection through `client` and `publish`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError

from chinwag.bus import envelope
from chinwag.bus.base import BusSink, Control
from chinwag.bus.envelope import EnvelopeError, Frame
from chinwag.bus.subjects import Subjects

log = logging.getLogger("chinwag.bus")

# A NATS restart should cost about a second of delivery, not nats-py's default 2 s waits.
RECONNECT_WAIT = 0.5
# A half-open connection (server gone without a FIN) is noticed within ~30 s.
PING_INTERVAL = 10
MAX_OUTSTANDING_PINGS = 3
# How long the pump may wait on a congested socket before its queue starts to overflow.
FLUSH_TIMEOUT = 2.0
# Per subscription: what a stalled event loop may pile up before nats-py drops.
SUB_PENDING_MSGS = 65_536
SUB_PENDING_BYTES = 64 << 20
# The pump yields this often so a burst cannot starve sockets of the event loop.
YIELD_EVERY = 512
LOG_EVERY = 5.0

Handler = Callable[[Msg], Awaitable[None]]


@dataclass
class BusStats:
    published: int = 0
    dropped: int = 0
    received: int = 0
    malformed: int = 0
    slow: int = 0
    reconnects: int = 0


class NatsBus:
    """Satisfies `chinwag.bus.base.Bus`; see the module docstring for its guarantees."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "chinwag",
        max_queue_bytes: int = 32 << 20,
        pending_bytes: int = 8 << 20,
        subjects: Subjects | None = None,
    ) -> None:
        self.subjects = subjects or Subjects()
        self._servers = [u.strip() for u in url.split(",") if u.strip()]
        self._name = name
        self._max_queue_bytes = max_queue_bytes
        self._pending_bytes = pending_bytes
        self._nc: Client | None = None
        self._sink: BusSink | None = None
        self._push: Callable[[bytes], None] | None = None
        self._queue: deque[tuple[str, bytes, str]] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        # subject -> (callback, queue group): what should be subscribed; `_subs` is what is.
        self._wanted: dict[str, tuple[Handler, str]] = {}
        self._subs: dict[str, Subscription] = {}
        self._settling: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconnect_listeners: list[Callable[[], None]] = []
        self._closing = False
        self._last_log = float("-inf")
        self.stats = BusStats()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (raising if no server answers), then keep reconnecting forever."""
        self._nc = await nats.connect(
            servers=self._servers,
            name=self._name,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            max_reconnect_attempts=-1,
            reconnect_time_wait=RECONNECT_WAIT,  # type: ignore[arg-type]
            ping_interval=PING_INTERVAL,
            max_outstanding_pings=MAX_OUTSTANDING_PINGS,
            pending_size=self._pending_bytes,
            flush_timeout=FLUSH_TIMEOUT,
        )
        self._pump_task = asyncio.get_running_loop().create_task(self._pump())
        for subject in self._wanted:
            self._settle(subject)

    async def close(self) -> None:
        if self._closing:
            return
        nc = self._nc
        # What is queued goes out first: a stopping gateway's last frames still count.
        for _ in range(200):
            if not self._queue or nc is None or not nc.is_connected:
                break
            await asyncio.sleep(0.01)
        self._closing = True
        self._wake.set()  # the pump sees `_closing` and ends
        for task in self._tasks:
            task.cancel()
        if nc is not None and not nc.is_closed:
            if nc.is_connected:
                with contextlib.suppress(Exception):
                    await nc.flush(timeout=1)
            with contextlib.suppress(Exception):
                await nc.close()
        if self._pump_task is not None:
            await asyncio.wait({self._pump_task}, timeout=1.0)
        self._sink = None

    @property
    def client(self) -> Client:
        """The NATS connection, for the other NATS parts of this process."""
        if self._nc is None:
            raise RuntimeError("NatsBus.start() has not run")
        return self._nc

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    def on_reconnect(self, listener: Callable[[], None]) -> None:
        """Called after each reconnect, once subscriptions are restored."""
        self._reconnect_listeners.append(listener)

    # -- Bus: the gateway side ---------------------------------------------------------

    def attach(self, sink: BusSink) -> None:
        self._sink = sink

    def watch_user(self, user_id: str) -> None:
        self._want(self.subjects.user(user_id), self._on_user)

    def unwatch_user(self, user_id: str) -> None:
        self._unwant(self.subjects.user(user_id))

    def watch_channel(self, channel_id: str) -> None:
        self._want(self.subjects.channel(channel_id), self._on_channel)

    def unwatch_channel(self, channel_id: str) -> None:
        self._unwant(self.subjects.channel(channel_id))

    def on_push(self, handler: Callable[[bytes], None]) -> None:
        self._push = handler
        self._want(self.subjects.push, self._on_push, envelope.PUSH_QUEUE)

    # -- Bus: publishing ---------------------------------------------------------------

    def to_user(self, user_id: str, data: bytes, seq: int = 0) -> None:
        self.publish(self.subjects.user(user_id), envelope.frame(data, seq))

    def to_users(self, user_ids: Iterable[str], data: bytes, sender: str = "") -> None:
        payload = envelope.from_sender(sender, data) if sender else envelope.frame(data)
        for user_id in user_ids:
            self.publish(self.subjects.user(user_id), payload)

    def to_channel(self, channel_id: str, data: bytes, seq: int = 0, sender: str = "") -> None:
        payload = envelope.from_sender(sender, data) if sender else envelope.frame(data, seq)
        self.publish(self.subjects.channel(channel_id), payload)

    def control(self, user_id: str, event: Control) -> None:
        self.publish(self.subjects.user(user_id), envelope.control(event))

    def push(self, data: bytes) -> None:
        self.publish(self.subjects.push, data)

    def publish(self, subject: str, payload: bytes, reply: str = "") -> None:
        """Queue one core-NATS message. Never blocks, never raises: past the bound, or
        before start and after close, the message is dropped and counted."""
        size = len(payload)
        if self._nc is None or self._closing or self._queued_bytes + size > self._max_queue_bytes:
            self._dropped("the publish queue is full or closed")
            return
        self._queue.append((subject, payload, reply))
        self._queued_bytes += size
        self._wake.set()

    async def _pump(self) -> None:
        nc, queue = self.client, self._queue
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            sent = 0
            while queue:
                subject, payload, reply = queue.popleft()
                self._queued_bytes -= len(payload)
                try:
                    # Does not suspend unless nats-py's buffer is over its bound, and
                    # then for at most FLUSH_TIMEOUT; it raises when the buffer is full
                    # during a reconnect, or the message is over the server's max_payload.
                    await nc.publish(subject, payload, reply=reply)
                    self.stats.published += 1
                except Exception as exc:
                    self._dropped(f"NATS refused a message: {exc!r}")
                sent += 1
                if sent % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    def _dropped(self, why: str) -> None:
        self.stats.dropped += 1
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY:
            self._last_log = now
            log.warning("bus dropped messages (%d so far): %s", self.stats.dropped, why)

    # -- subscriptions -----------------------------------------------------------------

    def _want(self, subject: str, handler: Handler, queue: str = "") -> None:
        self._wanted[subject] = (handler, queue)
        self._settle(subject)

    def _unwant(self, subject: str) -> None:
        if self._wanted.pop(subject, None) is not None:
            self._settle(subject)

    def _settle(self, subject: str) -> None:
        if self._nc is None or self._closing or subject in self._settling:
            return
        # Started now rather than awaited by the caller (watch_* is synchronous): the
        # SUB is written before the gateway's first storage round trip completes, so a
        # message committed after the gateway reads the user's inbox head finds it.
        self._settling.add(subject)
        self._spawn(self._settle_one(subject))

    async def _settle_one(self, subject: str) -> None:
        """Bring one subscription in line with `_wanted`; the loop absorbs watch and
        unwatch calls that arrive while a (un)subscribe is awaited."""
        nc = self.client
        try:
            while not self._closing:
                wanted, sub = self._wanted.get(subject), self._subs.get(subject)
                if (wanted is None) == (sub is None):
                    return
                if wanted is not None:
                    handler, queue = wanted
                    self._subs[subject] = await nc.subscribe(
                        subject,
                        queue=queue,
                        cb=handler,
                        pending_msgs_limit=SUB_PENDING_MSGS,
                        pending_bytes_limit=SUB_PENDING_BYTES,
                    )
                elif sub is not None:
                    del self._subs[subject]
                    await sub.unsubscribe()
        except Exception:
            log.warning("could not update the subscription to %s", subject, exc_info=True)
        finally:
            self._settling.discard(subject)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- receiving ---------------------------------------------------------------------

    def _decode(self, msg: Msg) -> envelope.Envelope | None:
        self.stats.received += 1
        try:
            return envelope.decode(msg.data)
        except EnvelopeError:
            self.stats.malformed += 1
            log.warning("ignoring a malformed bus message on %s", msg.subject)
            return None

    async def _on_user(self, msg: Msg) -> None:
        env, sink = self._decode(msg), self._sink
        if env is None or sink is None:
            return
        user_id = msg.subject[len(self.subjects.user_prefix) :]
        try:
            if isinstance(env, Frame):
                sink.deliver_user(user_id, env.data, env.seq, env.sender)
            else:
                sink.control(user_id, env)
        except Exception:
            log.exception("delivery to %s failed", user_id)

    async def _on_channel(self, msg: Msg) -> None:
        env, sink = self._decode(msg), self._sink
        if not isinstance(env, Frame) or sink is None:
            return
        try:
            sink.deliver_channel(
                msg.subject[len(self.subjects.channel_prefix) :], env.data, env.seq, env.sender
            )
        except Exception:
            log.exception("delivery to channel %s failed", msg.subject)

    async def _on_push(self, msg: Msg) -> None:
        self.stats.received += 1
        handler = self._push
        if handler is not None:
            try:
                handler(msg.data)
            except Exception:
                log.exception("push handler failed")

    # -- connection events -------------------------------------------------------------

    async def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, SlowConsumerError):
            self.stats.slow += 1
            self._dropped(f"slow subscription on {exc.subject}")
            return
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY:
            self._last_log = now
            log.warning("NATS: %r", exc)

    async def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("disconnected from NATS; buffering up to %d bytes", self._pending_bytes)

    async def _on_reconnected(self) -> None:
        self.stats.reconnects += 1
        log.info("reconnected to NATS")
        for listener in self._reconnect_listeners:
            try:
                listener()
            except Exception:
                log.exception("reconnect listener failed")
