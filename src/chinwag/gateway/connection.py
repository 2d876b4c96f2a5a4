"""One client WebSocket: picows I/O, timers and the hub around a `Session`.

Every rule is in `gateway/session.py`; this class feeds it what happens (frames, the
answers of the services, timers, the write buffer) and carries out its actions. Its
outgoing queue is the transport's write buffer, bounded by its high-water mark: a device
that stops reading crosses it and the session closes it with 4009 (it reconnects and
syncs from its cursor), so it never holds memory without bound nor slows delivery to
anyone else.

The hub is seen through `Gateway`, the few things a connection needs of it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from picows import WSCloseCode, WSFrame, WSListener, WSTransport

from chinwag.accounts.models import Device
from chinwag.e2ee.models import ToDeviceEvent
from chinwag.e2ee.service import to_device_frame
from chinwag.errors import ChinwagError, Code
from chinwag.gateway import actions as act
from chinwag.gateway.blocklist import BlockList
from chinwag.gateway.session import Session, SessionConfig
from chinwag.messaging.models import InboxEntry, Message, Stored
from chinwag.protocol.frames import EncryptedBody, Send
from chinwag.protocol.session import CloseCode

log = logging.getLogger("chinwag.gateway")

# Seconds a closing socket waits for the client to answer our close frame.
CLOSE_WAIT = 2.0

Outcome = Callable[[Stored | ChinwagError], None]


class Authenticator(Protocol):
    async def authenticate(self, token: str) -> Device: ...


class ChannelCalls(Protocol):
    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]: ...
    async def typing(self, user_id: str, channel_id: str) -> None: ...
    async def mark_read(self, user_id: str, channel_id: str, message_id: int) -> None: ...


class MessageCalls(Protocol):
    def submit(
        self,
        user_id: str,
        device_id: str,
        channel_id: str,
        client_msg_id: str,
        text: str,
        on_done: Outcome,
        *,
        encrypted: EncryptedBody | None = None,
        reply_to: int | None = None,
        attachment_ids: tuple[str, ...] = (),
    ) -> None: ...
    async def inbox_head(self, user_id: str) -> int: ...
    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]: ...
    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]: ...


class BlockCalls(Protocol):
    async def around(self, user_id: str) -> tuple[list[str], list[str]]:
        """(users this user blocked, users who blocked this user)."""
        ...


class ToDeviceCalls(Protocol):
    async def pending(self, device_id: str, after: int, limit: int) -> list[ToDeviceEvent]: ...
    async def ack(self, device_id: str, seq: int) -> None: ...


# To-device messages a device gets on connecting; it reads more over HTTP after those.
TO_DEVICE_ON_CONNECT = 100


class Gateway(Protocol):
    """What a connection needs of the hub: its registry, its clock and the services."""

    @property
    def session_config(self) -> SessionConfig: ...
    @property
    def accounts(self) -> Authenticator: ...
    @property
    def channels(self) -> ChannelCalls: ...
    @property
    def messaging(self) -> MessageCalls: ...
    @property
    def e2ee(self) -> ToDeviceCalls: ...
    @property
    def blocks(self) -> BlockCalls: ...
    def monotonic(self) -> float: ...
    def opened(self, conn: Connection) -> None: ...
    def admit(self, conn: Connection) -> str | None: ...
    def register(self, conn: Connection) -> None: ...
    def join_channel(self, conn: Connection, channel_id: str) -> None: ...
    @property
    def seen_every(self) -> float: ...
    def seen(self, conn: Connection) -> None: ...
    def want_flush(self, conn: Connection) -> None: ...
    def slow_closed(self, conn: Connection) -> None: ...
    def closed(self, conn: Connection) -> None: ...


class Connection(WSListener):  # type: ignore[misc]
    def __init__(self, gateway: Gateway, address: str) -> None:
        super().__init__()
        self.gateway = gateway
        self.address = address
        self.user_id = ""
        self.device_id = ""
        self._monotonic = gateway.monotonic
        self.last_seen = now = gateway.monotonic()
        self.session = Session(gateway.session_config, now)
        self.transport: WSTransport | None = None
        self.channels: set[str] = set()
        self.blocks = BlockList()
        self.registered = False
        self._timers: dict[act.Timer, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pumping = False
        self._flush_queued = False
        self._seen_next = 0.0

    @property
    def clean_close(self) -> bool:
        return self.session.clean_close

    # -- picows callbacks -----------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        raw = transport.underlying_transport
        raw.set_write_buffer_limits(high=self.gateway.session_config.send_buffer_bytes)
        self.gateway.opened(self)
        self.session.connected()
        self._after()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.session.disconnected()
        self.session.actions.clear()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.gateway.closed(self)

    def pause_writing(self) -> None:
        self.session.write_paused()
        self._after()

    def resume_writing(self) -> None:
        self.session.write_resumed()
        self._after()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        now = self.last_seen = self._monotonic()
        self.session.receive_frame(
            # The RFC 6455 opcode: an IntEnum, which picows's stubs do not say (no cast
            # here: a call per frame).
            frame.msg_type,  # type: ignore[arg-type]
            frame.fin,
            bool(frame.rsv1 or frame.rsv2 or frame.rsv3),
            frame.get_payload_as_bytes(),
            now,
        )
        self._after()

    # -- from the hub -----------------------------------------------------------------

    def deliver(self, data: bytes, seq: int) -> None:
        self.session.deliver(data, seq)
        self._after()

    def deliver_large(self, channel_id: str, data: bytes, seq: int) -> None:
        self.session.deliver_large(channel_id, data, seq)
        self._after()

    def forget_group(self, channel_id: str) -> None:
        self.session.forget_group(channel_id)

    def close(self, code: int, reason: str = "") -> None:
        self.session.close(CloseCode(code), reason)
        self._after()

    def flush(self) -> None:
        """Hand the session's pending frames to the kernel in one write; the hub calls
        this once per event-loop turn for every socket that has some."""
        self._flush_queued = False
        out = self.session.data_to_send()
        transport = self.transport
        if out and transport is not None and not transport.is_disconnected:
            transport.underlying_transport.writelines(out)

    # -- actions --------------------------------------------------------------------

    def _after(self) -> None:
        """Carry out what the session asked for, then have its frames flushed."""
        session = self.session
        if session.actions and not self._pumping:
            self._pump()
        if session.out and not self._flush_queued:
            self._flush_queued = True
            self.gateway.want_flush(self)

    def _pump(self) -> None:
        # Actions may feed the session events that append more actions: the loop takes
        # them in order until none is left.
        self._pumping = True
        todo = self.session.actions
        try:
            i = 0
            while i < len(todo):
                action = todo[i]
                i += 1
                _PERFORM[type(action)](self, action)
        finally:
            todo.clear()
            self._pumping = False

    def _submit(self, action: act.Submit) -> None:
        frame = action.frame
        self.gateway.messaging.submit(
            self.user_id,
            self.device_id,
            frame.channel_id,
            frame.client_msg_id,
            frame.text,
            functools.partial(self._sent, frame),
            encrypted=frame.encrypted,
            reply_to=frame.reply_to,
            attachment_ids=frame.attachment_ids,
        )

    def _sent(self, frame: Send, outcome: Stored | ChinwagError) -> None:
        self.session.sent(frame, outcome)
        self._after()

    def _seen(self, action: act.Seen) -> None:
        # Presence needs a heartbeat now and then, not one a frame. A user the timeout
        # took offline sent nothing for longer than `seen_every` (at most half that
        # timeout), so the frame that brings them back always gets through.
        now = self.last_seen
        if now >= self._seen_next:
            self._seen_next = now + self.gateway.seen_every
            self.gateway.seen(self)

    def _set_timer(self, action: act.SetTimer) -> None:
        old = self._timers.pop(action.timer, None)
        if old is not None:
            old.cancel()
        self._timers[action.timer] = asyncio.get_running_loop().call_later(
            action.delay, self._timer_fired, action.timer
        )

    def _cancel_timer(self, action: act.CancelTimer) -> None:
        handle = self._timers.pop(action.timer, None)
        if handle is not None:
            handle.cancel()

    def _timer_fired(self, timer: act.Timer) -> None:
        self._timers.pop(timer, None)
        self.session.timer_fired(timer)
        self._after()

    def _authenticate(self, action: act.Authenticate) -> None:
        self._spawn(self._hello(action.token))

    async def _hello(self, token: str) -> None:
        try:
            gateway, session = self.gateway, self.session
            try:
                device = await gateway.accounts.authenticate(token)
            except ChinwagError as exc:
                if exc.code == Code.UNAUTHORIZED:
                    session.refused(CloseCode.UNAUTHORIZED, "unauthorized")
                else:
                    session.refused(CloseCode.GOING_AWAY, exc.message)
                return
            self.user_id, self.device_id = device.user_id, device.id
            refusal = gateway.admit(self)
            if refusal is not None:
                session.refused(CloseCode.RATE_LIMITED, refusal)
                return
            gateway.register(self)
            try:
                self.blocks.loaded(*await gateway.blocks.around(self.user_id))
                large = await gateway.channels.large_groups_of(self.user_id)
                for channel_id, _ in large:
                    gateway.join_channel(self, channel_id)
                head = await gateway.messaging.inbox_head(self.user_id)
            except ChinwagError:
                session.storage_failed()
                return
            session.authenticated(self.user_id, self.device_id, head, large)
            self._spawn(self._to_device_backlog())
        finally:
            self._after()

    async def _to_device_backlog(self) -> None:
        """Unacknowledged to-device messages come again on every new socket."""
        try:
            events = await self.gateway.e2ee.pending(self.device_id, 0, TO_DEVICE_ON_CONNECT)
        except ChinwagError:
            return  # the device can read them over HTTP
        for event in events:
            self.deliver(to_device_frame(self.device_id, event), 0)

    def _read_head(self, action: act.ReadHead) -> None:
        self._spawn(self._head())

    async def _head(self) -> None:
        try:
            try:
                head = await self.gateway.messaging.inbox_head(self.user_id)
            except ChinwagError:
                self.session.storage_failed()
            else:
                self.session.head_read(head)
        finally:
            self._after()

    def _read_inbox(self, action: act.ReadInbox) -> None:
        self._spawn(self._inbox(action))

    async def _inbox(self, action: act.ReadInbox) -> None:
        try:
            messaging = self.gateway.messaging
            try:
                entries = await messaging.inbox_after(self.user_id, action.after, action.limit)
            except ChinwagError:
                self.session.storage_failed()
            else:
                self.session.inbox_read(action, entries)
        finally:
            self._after()

    def _read_history(self, action: act.ReadHistory) -> None:
        self._spawn(self._history(action))

    async def _history(self, action: act.ReadHistory) -> None:
        try:
            try:
                found = await self.gateway.messaging.history(
                    action.channel_id,
                    before=action.upto + 1,
                    after=action.after,
                    limit=action.limit,
                )
            except ChinwagError:
                self.session.storage_failed()
            else:
                self.session.history_read(action, found)
        finally:
            self._after()

    def _typing(self, action: act.StartTyping) -> None:
        self._spawn(self._guarded(self.gateway.channels.typing(self.user_id, action.channel_id)))

    def _mark_read(self, action: act.MarkRead) -> None:
        channels = self.gateway.channels
        self._spawn(
            self._guarded(channels.mark_read(self.user_id, action.channel_id, action.message_id))
        )

    def _ack_to_device(self, action: act.AckToDevice) -> None:
        self._spawn(self._guarded(self.gateway.e2ee.ack(self.device_id, action.seq)))

    async def _guarded(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            try:
                await coro
            except ChinwagError as exc:
                self.session.call_failed(exc.code, exc.message, None, exc.retry_after)
        finally:
            self._after()

    def _pause_reading(self, action: act.PauseReading) -> None:
        if self.transport is not None:
            self.transport.underlying_transport.pause_reading()

    def _resume_reading(self, action: act.ResumeReading) -> None:
        if self.transport is not None and not self.transport.is_disconnected:
            self.transport.underlying_transport.resume_reading()

    def _flush(self, action: act.Flush) -> None:
        self.flush()
        self.session.flushed()

    def _pong(self, action: act.Pong) -> None:
        if self.transport is not None:
            self.transport.send_pong(action.payload)

    def _close(self, action: act.Close) -> None:
        """Send a close frame; the connection ends when the client answers it, or after
        CLOSE_WAIT seconds without an answer (a client that does not read, or is gone)."""
        transport = self.transport
        if transport is None:
            return
        if action.code == CloseCode.TOO_SLOW:
            self.gateway.slow_closed(self)
        self.flush()
        transport.send_close(WSCloseCode(action.code), action.reason.encode()[:120])
        asyncio.get_running_loop().call_later(CLOSE_WAIT, _force_close, transport)

    def _disconnect(self, action: act.Disconnect) -> None:
        transport = self.transport
        if transport is None:
            return
        if action.echo is not None:
            transport.send_close(WSCloseCode(action.echo))
        transport.disconnect()

    # -- tasks ----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run one call of the services; its outcome is fed to the session, and what the
        session then asks for is carried out before the task ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("connection task failed", exc_info=task.exception())
            self.session.call_failed(Code.INTERNAL, "internal error")
            self._after()


def _force_close(transport: WSTransport) -> None:
    if not transport.is_disconnected:
        transport.disconnect(graceful=False)


_PERFORM: dict[type[act.Action], Callable[[Connection, Any], None]] = {
    act.Submit: Connection._submit,
    act.Seen: Connection._seen,
    act.SetTimer: Connection._set_timer,
    act.CancelTimer: Connection._cancel_timer,
    act.Authenticate: Connection._authenticate,
    act.ReadHead: Connection._read_head,
    act.ReadInbox: Connection._read_inbox,
    act.ReadHistory: Connection._read_history,
    act.StartTyping: Connection._typing,
    act.MarkRead: Connection._mark_read,
    act.AckToDevice: Connection._ack_to_device,
    act.PauseReading: Connection._pause_reading,
    act.ResumeReading: Connection._resume_reading,
    act.Flush: Connection._flush,
    act.Pong: Connection._pong,
    act.Close: Connection._close,
    act.Disconnect: Connection._disconnect,
}
