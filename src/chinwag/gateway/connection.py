"""One client WebSocket: moves bytes between the socket, the codec and the services.

State lives in `protocol.session`; this class only does I/O. Its outgoing queue is the
transport's write buffer, bounded by its high-water mark: a device that stops reading
crosses it and is closed with 4009 (it reconnects and syncs from its cursor), so it
never holds memory without bound nor slows delivery to anyone else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

from chinwag import wire
from chinwag.clock import rfc3339
from chinwag.errors import ChinwagError, Code
from chinwag.gateway.sequencer import Sequencer
from chinwag.messaging.models import Stored
from chinwag.protocol import codec, framing
from chinwag.protocol.frames import (
    ErrorFrame,
    Hello,
    LargeGroupHead,
    Ping,
    Read,
    Reset,
    Send,
    Sent,
    Sync,
    Synced,
    Typing,
    Welcome,
)
from chinwag.protocol.session import CloseCode, Phase
from chinwag.protocol.wsframe import text_header

if TYPE_CHECKING:
    from chinwag.gateway.hub import Hub

log = logging.getLogger("chinwag.gateway")

_PONG = codec.encode_obj({"type": "pong"})
MAX_INFLIGHT = 256
# How long a frame ahead of a gap waits for the missing one before storage is asked.
GAP_WAIT = 0.25
MAX_EARLY_FRAMES = 64
REPLAY_BATCH = 500
# Seconds a closing socket waits for the client to answer our close frame.
CLOSE_WAIT = 2.0


class Connection(WSListener):  # type: ignore[misc]
    def __init__(self, hub: Hub, address: str) -> None:
        super().__init__()
        self.hub = hub
        self.address = address
        self.phase = Phase.AWAITING_HELLO
        self.user_id = ""
        self.device_id = ""
        self.last_seen = hub.monotonic()
        self.transport: WSTransport | None = None
        self.channels: set[str] = set()
        # Live message frames that arrive while a sync replays, with their seqs.
        self._held: list[tuple[int, bytes]] | None = None
        self._held_bytes = 0
        self._early: list[bytes] = []
        self._out: list[bytes] | None = None
        self._order = Sequencer()
        # Large groups: message_id order per group, and frames that arrive before the
        # welcome (whose heads start each group's order) wait in `_early_large`.
        self._groups: dict[str, Sequencer] = {}
        self._early_large: list[tuple[str, bytes, int]] | None = []
        self._group_timer: asyncio.TimerHandle | None = None
        self._gap_timer: asyncio.TimerHandle | None = None
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight = 0
        self._paused_reading = False
        self._hello_timer: asyncio.TimerHandle | None = None
        self._drained: asyncio.Event | None = None
        self.clean_close = False
        self.registered = False
        self._rate = framing.FrameRate(hub.settings.frames_per_sec, self.last_seen)

    # -- picows callbacks -----------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        raw = transport.underlying_transport
        raw.set_write_buffer_limits(high=self.hub.settings.send_buffer_bytes)
        self._hello_timer = asyncio.get_running_loop().call_later(
            self.hub.settings.hello_timeout, self._hello_expired
        )
        self.hub.opened(self)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.phase = Phase.CLOSED
        if self._hello_timer is not None:
            self._hello_timer.cancel()
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        if self._group_timer is not None:
            self._group_timer.cancel()
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.hub.closed(self)

    def pause_writing(self) -> None:
        if self._drained is not None:
            self._drained.clear()
            return
        # The client is not reading fast enough: cut it off before memory grows.
        self.hub.metrics.slow_closes += 1
        self.close(CloseCode.TOO_SLOW, "too slow to keep up; reconnect and sync")

    def resume_writing(self) -> None:
        if self._drained is not None:
            self._drained.set()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if self.phase == Phase.CLOSING:
            # Our close frame is out: drop what the client still sends until its close
            # answers ours (RFC 6455 5.5.1). Closing with unread input would reset the
            # connection, and a reset can cost the client our close frame.
            if frame.msg_type == WSMsgType.CLOSE:
                transport.disconnect()
            return
        now = self.last_seen = self.hub.monotonic()
        if self._rate.over(now):
            self.close(CloseCode.RATE_LIMITED, "too many frames; slow down")
            return
        kind = frame.msg_type
        rsv = frame.rsv1 or frame.rsv2 or frame.rsv3
        if rsv or kind == WSMsgType.BINARY:  # the only frames check_frame can refuse
            refusal = framing.check_frame(self.phase, kind == WSMsgType.BINARY, bool(rsv))
            if refusal is not None:
                self.close(refusal.code, refusal.reason)
                return
        if kind == WSMsgType.TEXT:
            if self._fragments:
                self.close(framing.INTERLEAVED.code, framing.INTERLEAVED.reason)
            elif frame.fin:
                self._whole_text(frame.get_payload_as_bytes())
            else:
                self._fragments = [frame.get_payload_as_bytes()]
                self._fragments_size = len(self._fragments[0])
        elif kind == WSMsgType.CONTINUATION:
            if not self._fragments:
                self.close(framing.NO_MESSAGE.code, framing.NO_MESSAGE.reason)
                return
            part = frame.get_payload_as_bytes()
            self._fragments_size += len(part)
            if self._fragments_size > self.hub.settings.max_frame_bytes:
                self.close(CloseCode.TOO_LARGE, "message too large")
                return
            self._fragments.append(part)
            if frame.fin:
                data = b"".join(self._fragments)
                self._fragments = []
                self._whole_text(data)
        elif kind == WSMsgType.CLOSE:
            self.clean_close = True
            transport.send_close(frame.get_close_code())
            transport.disconnect()
        elif kind == WSMsgType.PING:
            transport.send_pong(frame.get_payload_as_bytes())
        elif kind == WSMsgType.BINARY:
            if self._fragments:
                self.close(framing.INTERLEAVED.code, framing.INTERLEAVED.reason)
                return
            self._error(Code.INVALID_REQUEST, "binary frames are not supported; send JSON text")
        # PONG needs nothing.

    # -- frames -----------------------------------------------------------------------

    def _whole_text(self, data: bytes) -> None:
        refusal = framing.check_text(data)
        if refusal is not None:
            self.close(refusal.code, refusal.reason)
            return
        self._text(data)

    def _text(self, data: bytes) -> None:
        phase = self.phase
        if phase == Phase.LIVE:
            self._live(data)
        elif phase == Phase.AWAITING_HELLO:
            self._first(data)
        elif phase == Phase.AUTHENTICATING:
            # A client may pipeline frames right after hello; keep a few for later.
            if len(self._early) >= MAX_EARLY_FRAMES:
                self.close(CloseCode.PROTOCOL_ERROR, "too many frames before welcome")
            else:
                self._early.append(data)

    def _first(self, data: bytes) -> None:
        try:
            frame = codec.decode(data, self.hub.limits)
        except codec.FrameError:
            self.close(CloseCode.PROTOCOL_ERROR, "the first frame must be a valid hello")
            return
        if not isinstance(frame, Hello):
            self.close(CloseCode.PROTOCOL_ERROR, "the first frame must be hello")
            return
        self.phase = Phase.AUTHENTICATING
        if self._hello_timer is not None:
            self._hello_timer.cancel()
            self._hello_timer = None
        self._spawn(self._hello(frame))

    def _live(self, data: bytes) -> None:
        self.hub.seen(self)
        try:
            frame = codec.decode(data, self.hub.limits)
        except codec.FrameError as exc:
            self._error(exc.code, exc.message, exc.ref)
            return
        if isinstance(frame, Send):
            self._start_send(frame)
        elif isinstance(frame, Ping):
            self.write(_PONG)
        elif isinstance(frame, Sync):
            if self._held is not None:
                self._error(Code.INVALID_REQUEST, "a sync is already in progress")
            else:
                self._spawn(self._sync(frame.cursor))
        elif isinstance(frame, Typing):
            self._spawn(self._guarded(self.hub.channels.typing(self.user_id, frame.channel_id)))
        elif isinstance(frame, Read):
            self._spawn(
                self._guarded(
                    self.hub.channels.mark_read(self.user_id, frame.channel_id, frame.message_id)
                )
            )
        elif isinstance(frame, Hello):
            self._error(Code.INVALID_REQUEST, "already authenticated")

    # -- hello, sync ----------------------------------------------------------------

    async def _hello(self, frame: Hello) -> None:
        hub = self.hub
        try:
            device = await hub.accounts.authenticate(frame.token)
        except ChinwagError as exc:
            if exc.code == Code.UNAUTHORIZED:
                self.close(CloseCode.UNAUTHORIZED, "unauthorized")
            else:
                self.close(CloseCode.GOING_AWAY, exc.message)
            return
        self.user_id, self.device_id = device.user_id, device.id
        refusal = hub.admit(self)
        if refusal is not None:
            self.close(CloseCode.RATE_LIMITED, refusal)
            return
        # Registered before reading the head, and holding live frames until the replay
        # is done, so nothing committed in between is missed or sent out of order.
        self._held = []
        hub.register(self)
        self.phase = Phase.LIVE
        try:
            large = await hub.channels.large_groups_of(self.user_id)
            for channel_id, _ in large:
                hub.join_channel(self, channel_id)
            head = await hub.messaging.inbox_head(self.user_id)
        except ChinwagError:
            self.close(CloseCode.GOING_AWAY, "storage unavailable; reconnect")
            return
        self.write(
            codec.encode(
                Welcome(
                    self.user_id,
                    self.device_id,
                    head,
                    hub.settings.heartbeat_interval,
                    hub.gateway_id,
                    [LargeGroupHead(cid, last) for cid, last in large],
                )
            )
        )
        for channel_id, last in large:
            order = self._groups[channel_id] = Sequencer()
            order.start(last)
        early_large, self._early_large = self._early_large, None
        for channel_id, data, seq in early_large or ():
            self.deliver_large(channel_id, data, seq)
        if frame.cursor is not None:
            await self._sync(frame.cursor, head=head)
        else:
            self._release(head)
        early, self._early = self._early, []
        for data in early:
            if self.phase != Phase.LIVE:
                break
            self._live(data)

    async def _sync(self, cursor: int, *, head: int | None = None) -> None:
        hub = self.hub
        if self._held is None:
            self._held = []
        try:
            if head is None:
                head = await hub.messaging.inbox_head(self.user_id)
            if cursor > head:
                # A cursor from the future (another server's data, or a bug): start over.
                self.write(codec.encode(Reset(head)))
                self._release(head)
                return
            if head - cursor > hub.settings.sync_backlog_limit:
                self.write(codec.encode(Reset(head)))
                self._release(head)
                return
            self._drained = asyncio.Event()
            self._drained.set()
            while cursor < head:
                batch = await hub.messaging.inbox_after(self.user_id, cursor, REPLAY_BATCH)
                if not batch:
                    break
                for entry in batch:
                    self.write(codec.message_frame(wire.message_json(entry.message), entry.seq))
                cursor = batch[-1].seq
                await self._wait_drained()
            self.write(codec.encode(Synced(cursor)))
            self._release(cursor)
        except ChinwagError:
            self.close(CloseCode.GOING_AWAY, "storage unavailable; reconnect and sync")
        finally:
            self._drained = None

    async def _wait_drained(self) -> None:
        self.flush()
        if self._drained is None or self._drained.is_set() or self.transport is None:
            return
        try:
            await asyncio.wait_for(self._drained.wait(), timeout=30)
        except TimeoutError:
            self.close(CloseCode.TOO_SLOW, "too slow to keep up; reconnect and sync")

    def _release(self, cursor: int) -> None:
        held, self._held = self._held, None
        self._held_bytes = 0
        self._order.start(cursor)
        for seq, data in held or ():
            self.deliver(data, seq)

    # -- delivery from the hub --------------------------------------------------------

    def deliver(self, data: bytes, seq: int) -> None:
        held = self._held
        if held is not None:
            held.append((seq, data))
            self._held_bytes += len(data)
            if self._held_bytes > self.hub.settings.send_buffer_bytes:
                self.close(CloseCode.TOO_SLOW, "too slow to keep up; reconnect and sync")
            return
        if seq == 0:
            self.write(data)
            return
        for ready in self._order.offer(seq, data):
            self.write(ready)
        if self._order.waiting and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._gap_due)
        if self._order.overflowing:
            self.close(CloseCode.TOO_SLOW, "too far behind; reconnect and sync")

    def deliver_large(self, channel_id: str, data: bytes, seq: int) -> None:
        """A large group's frame: messages (seq = message_id) go out in id order."""
        if self._early_large is not None:
            self._early_large.append((channel_id, data, seq))
            return
        if seq == 0:
            self.write(data)
            return
        order = self._groups.get(channel_id)
        if order is None:
            # Joined after the welcome: this message starts the group's order.
            order = self._groups[channel_id] = Sequencer()
            order.start(seq - 1)
        for ready in order.offer(seq, data):
            self.write(ready)
        if order.waiting and self._group_timer is None:
            self._group_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._groups_due)

    def forget_group(self, channel_id: str) -> None:
        self._groups.pop(channel_id, None)

    def _groups_due(self) -> None:
        self._group_timer = None
        if any(o.waiting for o in self._groups.values()):
            self._spawn(self._repair_groups())

    async def _repair_groups(self) -> None:
        """A large group's message was published out of order or dropped: read the
        missing ones from history."""
        for channel_id, order in list(self._groups.items()):
            span = order.missing()
            if span is None:
                continue
            after, upto = span
            found = await self.hub.messaging.history(
                channel_id, before=upto + 1, after=after, limit=min(upto - after, 200)
            )
            frames = [
                (m.message_id, codec.message_frame(wire.message_json(m), None)) for m in found
            ]
            for data in order.fill(frames):
                self.write(data)
            if not found:
                # Nothing stored there (cannot happen with gapless ids): stop waiting.
                for data in order.give_up():
                    self.write(data)
        if any(o.waiting for o in self._groups.values()) and self._group_timer is None:
            self._group_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._groups_due)

    def _gap_due(self) -> None:
        self._gap_timer = None
        if self._order.missing() is not None and self._held is None:
            self._spawn(self._repair())

    async def _repair(self) -> None:
        """A gap did not close by itself (a frame was dropped, or commits were published
        out of order): read the missing entries from storage, in order."""
        span = self._order.missing()
        if span is None:
            return
        after, upto = span
        entries = await self.hub.messaging.inbox_after(self.user_id, after, upto - after)
        frames = [
            (e.seq, codec.message_frame(wire.message_json(e.message), e.seq)) for e in entries
        ]
        for data in self._order.fill(frames):
            self.write(data)
        if self._order.waiting and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._gap_due)

    def write(self, data: bytes) -> None:
        """Queue a text frame; the hub flushes every socket's frames once per event-loop
        turn, so a burst of acks and messages costs one system call per socket."""
        if self.phase == Phase.CLOSED or self.phase == Phase.CLOSING or self.transport is None:
            return
        out = self._out
        if out is None:
            out = self._out = []
            self.hub.want_flush(self)
        out.append(text_header(len(data)))
        out.append(data)

    def flush(self) -> None:
        out, self._out = self._out, None
        if out and self.transport is not None and not self.transport.is_disconnected:
            self.transport.underlying_transport.writelines(out)

    # -- sends ------------------------------------------------------------------------

    def _start_send(self, frame: Send) -> None:
        self._inflight += 1
        if self._inflight >= MAX_INFLIGHT and not self._paused_reading and self.transport:
            # Backpressure: stop reading this socket until acks catch up.
            self.transport.underlying_transport.pause_reading()
            self._paused_reading = True
        self.hub.messaging.submit(
            self.user_id,
            self.device_id,
            frame.channel_id,
            frame.client_msg_id,
            frame.text,
            lambda outcome: self._sent(frame, outcome),
            attachment_ids=frame.attachment_ids,
        )

    def _sent(self, frame: Send, outcome: Stored | ChinwagError) -> None:
        self._inflight -= 1
        if self._paused_reading and self._inflight < MAX_INFLIGHT // 2 and self.transport:
            self.transport.underlying_transport.resume_reading()
            self._paused_reading = False
        if isinstance(outcome, ChinwagError):
            self._error(outcome.code, outcome.message, frame.client_msg_id, outcome.retry_after)
        else:
            self._ack(outcome)

    def _ack(self, stored: Stored) -> None:
        m = stored.message
        self.write(
            codec.encode(Sent(m.client_msg_id, m.channel_id, m.message_id, rfc3339(m.created_at)))
        )

    async def _guarded(self, coro: Coroutine[Any, Any, None], ref: str | None = None) -> None:
        try:
            await coro
        except ChinwagError as exc:
            self._error(exc.code, exc.message, ref, exc.retry_after)

    # -- helpers ----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("connection task failed", exc_info=task.exception())
            self._error(Code.INTERNAL, "internal error")

    def _error(
        self, code: Code, message: str, ref: str | None = None, retry_after: float | None = None
    ) -> None:
        self.write(codec.encode(ErrorFrame(code.value, message, ref, retry_after)))

    def _hello_expired(self) -> None:
        self._hello_timer = None
        if self.phase == Phase.AWAITING_HELLO:
            self.close(CloseCode.PROTOCOL_ERROR, "no hello in time")

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame; the connection ends when the client answers it, or after
        CLOSE_WAIT seconds without an answer (a client that does not read, or is gone)."""
        if self.phase in (Phase.CLOSED, Phase.CLOSING) or self.transport is None:
            return
        self.flush()
        self.phase = Phase.CLOSING
        transport = self.transport
        transport.send_close(WSCloseCode(code), reason.encode()[:120])
        asyncio.get_running_loop().call_later(CLOSE_WAIT, _force_close, transport)


def _force_close(transport: WSTransport) -> None:
    if not transport.is_disconnected:
        transport.disconnect(graceful=False)
