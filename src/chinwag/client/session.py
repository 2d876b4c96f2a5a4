"""`ChatSession`: one device's live connection to chinwag, kept alive across failures."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from types import TracebackType

from chinwag.client.catchup import Item, group_items, reset_items
from chinwag.client.connection import Connection, dial
from chinwag.client.cursor import CursorStore, MemoryCursorStore, Position
from chinwag.client.delivery import Delivery, EventStream
from chinwag.client.errors import (
    STATUS_OF_CODE,
    ChinwagApiError,
    ProtocolViolation,
    ServerUnreachable,
    SessionClosed,
    Unauthorized,
)
from chinwag.client.events import (
    Connected,
    Disconnected,
    ErrorEvent,
    Event,
    MessageEvent,
    ResetEvent,
    SyncedEvent,
    UpdateEvent,
)
from chinwag.client.frames import (
    ClientFrame,
    Codec,
    FrameDecodeError,
    Hello,
    MarkRead,
    Ping,
    Pong,
    Send,
    Sent,
    ServerFrame,
    StartTyping,
    Welcome,
)
from chinwag.client.http import ApiClient
from chinwag.client.models import Ack
from chinwag.client.options import Backoff, SessionOptions
from chinwag.client.outbox import Outbox
from chinwag.client.sync import Commit

log = logging.getLogger("chinwag.client")


class _Reconnect(Exception):
    """This connection cannot go on; drop it and connect again."""


class ChatSession:
    """A device's WebSocket session that survives disconnects, restarts and lag.

    Start it with `async with ChatSession(api, cursor_store=...) as session:` (the
    `ApiClient` must hold a token), read `session.events()` in one task, and call
    `send` from any. What it guarantees:

    - Every message for the user is yielded at least once and, within the session's
      memory of recent ids, exactly once; across reconnects there are no gaps: it
      resumes from the cursor of the last message it took in, and catches up large
      groups over HTTP. A `reset` is turned into each channel's recent history.
    - The stored position moves past an event only when the consumer comes back for
      the next one (or closes the session without an exception), so after a crash the
      event being handled is delivered again.
    - `send` returns once the server has durably stored the message. Until then the
      message is resent on every new connection with the same `client_msg_id`, which
      the server stores at most once.
    - Memory is bounded (see `SessionOptions`). A consumer that falls behind by
      `queue_size` events makes the session drop incoming messages and fetch them
      again from its cursor once the consumer has caught up; presence, typing and
      other ephemeral events are dropped meanwhile.
    - It reconnects through `/v1/discovery` with jittered exponential backoff after a
      server goes away (1001), too-slow cut-offs (4009), network errors or silence for
      three heartbeat intervals; it stops with `Unauthorized` on 4001 and
      `ProtocolViolation` on 4000, raised from `events()` and pending `send`s.
    """

    def __init__(
        self,
        api: ApiClient,
        *,
        cursor_store: CursorStore | None = None,
        gateways: Sequence[str] = (),
        options: SessionOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._api = api
        self._store: CursorStore = cursor_store or MemoryCursorStore()
        self._fallbacks = list(gateways)
        self._opts = options or SessionOptions()
        self._codec = Codec()
        self._delivery = Delivery(self._store, self._opts.queue_size, self._opts.remember)
        self._state = self._delivery.state
        self._outbox = Outbox(self._opts.outbox_size)
        self._backoff = Backoff(self._opts, rng or random.Random())
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._live: Connection | None = None
        self._failure: Exception | None = None
        self._closed = False
        self._resync = False
        self._outage = False
        self.user_id = ""
        self.device_id = ""
        self.gateway_id = ""

    # -- lifecycle ------------------------------------------------------------------

    async def __aenter__(self) -> ChatSession:
        self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close(commit=et is None)

    def start(self) -> None:
        """Begin connecting in the background (idempotent)."""
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="chat-session")

    async def close(self, *, commit: bool = True) -> None:
        """Disconnect and stop. With `commit`, the last event handed out counts as
        processed. Unacknowledged sends fail with `SessionClosed`."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        if commit:
            self._delivery.finish_pending()
        self._outbox.fail_all(SessionClosed())
        self._delivery.close()
        self._changed.set()

    @property
    def connected(self) -> bool:
        return self._live is not None

    @property
    def unacknowledged(self) -> int:
        """Sends the server has not acknowledged yet (they are resent on reconnect)."""
        return len(self._outbox)

    @property
    def position(self) -> Position:
        """How far the consumer has processed (what the cursor store holds)."""
        return self._state.handed.copy()

    def drop_connection(self) -> None:
        """Cut the live socket as a network failure would (for chaos and soak tests);
        the session reconnects, resends and resumes from its cursor as usual."""
        if self._live is not None:
            self._live.abort()

    async def wait_connected(self) -> None:
        """Return once the session is live; raise if it failed or was closed first."""
        self.start()
        while True:
            if self._failure is not None:
                raise self._failure
            if self._closed:
                raise SessionClosed()
            if self._live is not None:
                return
            self._changed.clear()
            await self._changed.wait()

    # -- the consumer's side ----------------------------------------------------------

    def events(self) -> AsyncIterator[Event]:
        """The session's events, for one consumer. Ends after `close`; raises the
        session's failure (after any events still queued)."""
        self.start()
        return EventStream(self._next_event)

    async def _next_event(self) -> Event:
        event = await self._delivery.next()
        if self._delivery.caught_up:
            self._request_resync()
        if event is None:
            if self._failure is not None:
                raise self._failure
            raise StopAsyncIteration
        return event

    async def send(self, channel_id: str, text: str, *, attachment_ids: Iterable[str] = ()) -> Ack:
        """Send a message; returns once the server has stored it. `attachment_ids` are
        this user's uploads (`ApiClient.upload`); with any, `text` may be empty.

        Raises `ChinwagApiError` if the server refuses it (not a member, rate limited,
        text too long, ...). Cancelling the call does not withdraw the message."""
        self._check_usable()
        self.start()
        client_msg_id = uuid.uuid4().hex
        frame = self._codec.encode(Send(channel_id, client_msg_id, text, tuple(attachment_ids)))
        if len(frame) > self._opts.max_frame_bytes:
            limit = self._opts.max_frame_bytes
            raise ChinwagApiError("too_large", f"the message is over {limit} bytes", 413)
        future = await self._outbox.add(client_msg_id, frame)
        if self._live is not None:
            self._live.send(frame)
        return await asyncio.shield(future)

    def typing(self, channel_id: str) -> bool:
        """Tell the channel's members this user is typing; False when offline."""
        return self._send_now(StartTyping(channel_id))

    def mark_read(self, channel_id: str, message_id: int) -> bool:
        """Mark the channel read up to `message_id`; False when offline."""
        return self._send_now(MarkRead(channel_id, message_id))

    def _send_now(self, frame: ClientFrame) -> bool:
        self._check_usable()
        live = self._live
        return live is not None and live.send(self._codec.encode(frame))

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise SessionClosed()

    # -- connecting and reconnecting ----------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                conn = await dial(self._api, self._fallbacks, self._opts)
                if conn is None:
                    delay = self._backoff.next()
                    if not self._outage:
                        self._outage = True
                        self._delivery.offer(Disconnected(None, "no gateway reachable", delay))
                    await self._pause(delay)
                    continue
                code, reason = await self._serve(conn)
                if self._stopping.is_set():
                    break
                delay = self._delay_after(code)
                self._outage = True
                self._delivery.offer(Disconnected(code, reason, delay))
                await self._pause(delay)
        except (Unauthorized, ProtocolViolation) as exc:
            self._fail(exc)
        except Exception as exc:
            log.exception("chat session failed")
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self._failure = exc
        self._outbox.fail_all(exc)
        self._delivery.close()
        self._changed.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _delay_after(self, code: int | None) -> float:
        if self._resync:
            return 0.0  # closed on purpose, to fetch what a lagging consumer missed
        delay = self._backoff.next()
        if code == 4008:
            delay = max(delay, self._opts.rate_limited_wait)
        return delay

    async def _serve(self, conn: Connection) -> tuple[int | None, str]:
        """Run one connection to its end; returns its close code and reason."""
        try:
            welcome = await self._handshake(conn)
            if welcome is not None:
                await self._live_loop(conn, welcome)
        except _Reconnect as exc:
            conn.abort()
            return None, str(exc)
        finally:
            self._live = None
            self._changed.set()
            conn.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wait_closed(), 2.0)
        if conn.close_code == 4001:
            raise Unauthorized(conn.close_reason or "unauthorized")
        if conn.close_code == 4000:
            raise ProtocolViolation(conn.close_reason)
        return conn.close_code, conn.close_reason or "connection lost"

    async def _handshake(self, conn: Connection) -> Welcome | None:
        conn.send(self._codec.encode(Hello(self._api.token or "", self._state.received.cursor)))
        try:
            async with asyncio.timeout(self._opts.welcome_timeout):
                while (data := await conn.recv()) is not None:
                    if isinstance(frame := self._decode(data), Welcome):
                        return frame
        except TimeoutError:
            raise _Reconnect("no welcome in time") from None
        return None

    async def _live_loop(self, conn: Connection, welcome: Welcome) -> None:
        self._backoff.reset()
        self._outage = self._delivery.lagging = self._resync = False
        self.user_id, self.device_id = welcome.user_id, welcome.device_id
        self.gateway_id = welcome.gateway_id
        heads = {g.channel_id: g.last_message_id for g in welcome.large_groups}
        fresh = self._state.fresh
        if fresh:
            self._state.start_at(welcome.cursor, heads.items())
            self._delivery.persist()
        elif self._state.forget_groups_except(set(heads)):
            self._delivery.persist()
        # Going live and resending happen in one step, with no await between, so a
        # concurrent `send` goes out either in this resend or by itself afterwards.
        self._live = conn
        for pending in self._outbox.frames():
            conn.send(pending)
        self._changed.set()
        self._delivery.offer(Connected(welcome.gateway_id, conn.url))
        ping = self._codec.encode(Ping())
        heartbeat = asyncio.create_task(conn.heartbeat(ping, welcome.heartbeat_interval))
        try:
            if not fresh:
                await self._catch_up_groups(heads)
            while (data := await conn.recv()) is not None:
                if (received := self._decode(data)) is not None:
                    await self._handle(received)
        finally:
            heartbeat.cancel()
            await asyncio.wait([heartbeat])

    # -- frames ---------------------------------------------------------------------

    def _decode(self, data: bytes) -> ServerFrame | None:
        try:
            return self._codec.decode(data)
        except FrameDecodeError as exc:
            log.warning("ignoring a malformed frame: %s", exc)
            return None

    async def _handle(self, frame: ServerFrame) -> None:
        if isinstance(frame, MessageEvent):
            m = frame.message
            if frame.cursor is not None:
                self._delivery.deliver(frame, Commit(frame.cursor))
            else:
                self._delivery.deliver(frame, Commit(large=((m.channel_id, m.message_id),)))
        elif isinstance(frame, UpdateEvent):
            if frame.cursor is not None:
                self._delivery.deliver(frame, Commit(frame.cursor))
            else:
                self._delivery.offer(frame)  # large groups: live only, history has the state
        elif isinstance(frame, Sent):
            ack = Ack(frame.client_msg_id, frame.channel_id, frame.message_id, frame.created_at)
            self._outbox.acknowledge(ack)
        elif isinstance(frame, ErrorEvent):
            status = STATUS_OF_CODE.get(frame.code, 500)
            error = ChinwagApiError(frame.code, frame.message, status, frame.retry_after)
            if frame.ref is None or not self._outbox.refuse(frame.ref, error):
                self._delivery.offer(frame)
        elif isinstance(frame, SyncedEvent):
            self._delivery.deliver(frame, Commit(frame.cursor))
        elif isinstance(frame, ResetEvent):
            await self._reset(frame)
        elif not isinstance(frame, Welcome | Pong):
            self._delivery.offer(frame)

    def _request_resync(self) -> None:
        live = self._live
        if live is not None and not self._resync:
            self._resync = True
            live.close(1000, "resync")

    # -- catching up over HTTP -----------------------------------------------------------

    async def _reset(self, frame: ResetEvent) -> None:
        self._delivery.deliver_all(await self._fetch(reset_items(self._api, frame, self._opts)))

    async def _catch_up_groups(self, heads: dict[str, int]) -> None:
        for channel_id, head in heads.items():
            known = self._state.received.large_groups.get(channel_id)
            if known is not None and head <= known:
                continue
            cursor = self._state.received.cursor
            fetch = group_items(self._api, channel_id, known, head, cursor, self._opts)
            if not self._delivery.deliver_all(await self._fetch(fetch)):
                return

    async def _fetch(self, fetch: Awaitable[list[Item]]) -> list[Item]:
        try:
            return await fetch
        except ChinwagApiError as exc:
            if exc.code == "unauthorized":
                raise Unauthorized(exc.message) from exc
            raise _Reconnect(f"catch-up failed: {exc}") from exc
        except ServerUnreachable as exc:
            raise _Reconnect(f"catch-up failed: {exc}") from exc
