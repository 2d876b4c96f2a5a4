"""One bench WebSocket: a picows listener that checks and times every frame it gets.

All work happens in picows callbacks (no task per message): a frame is decoded once,
checked against the device's sequences, timed, and, for a sender, answered with the next
send. Opening a socket is the only coroutine, once per connection.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from chinwag.bench import frames
from chinwag.bench.checks import SeqTrack
from chinwag.bench.specs import DeviceSpec, SendSpec
from chinwag.bench.tally import Tally

TEXT = WSMsgType.TEXT
monotonic_ns = time.monotonic_ns


class Sender:
    """The sending side of a device (see SendSpec for closed and open loop)."""

    __slots__ = (
        "done",
        "encoder",
        "inflight",
        "interval_ns",
        "next_due_ns",
        "remaining",
        "seq",
        "stop_ns",
        "tally",
        "transport",
        "window",
    )

    def __init__(self, spec: SendSpec, tag: str, tally: Tally, text_size: int) -> None:
        self.encoder = frames.SendEncoder(spec.channel_id, tag, text_size)
        self.remaining = spec.count
        self.window = spec.window
        self.interval_ns = spec.interval_ns
        self.next_due_ns = spec.phase_ns
        self.tally = tally
        self.transport: WSTransport | None = None
        self.inflight = 0
        self.seq = 0
        self.stop_ns = 0
        self.done = False

    def start(self, start_ns: int, stop_ns: int) -> None:
        if self.transport is None:  # never connected: everything counts as unacknowledged
            self.abandon()
            return
        self.stop_ns = stop_ns
        self.next_due_ns += start_ns
        if self.interval_ns == 0:
            for _ in range(min(self.window, self.remaining)):
                self._send(monotonic_ns())
        self._maybe_done()

    def _send(self, stamp_ns: int) -> None:
        self.seq += 1
        self.remaining -= 1
        self.inflight += 1
        self.tally.sent += 1
        transport = self.transport
        if transport is not None:
            transport.send(TEXT, self.encoder.frame(self.seq, stamp_ns))

    def pump(self, now_ns: int) -> None:
        """Open loop: send whatever is due by now, each stamped with its due time."""
        interval = self.interval_ns
        while self.remaining > 0 and self.next_due_ns <= now_ns:
            if self.stop_ns and self.next_due_ns >= self.stop_ns:
                self.remaining = 0
                break
            self._send(self.next_due_ns)
            self.next_due_ns += interval
        self._maybe_done()

    def settled(self) -> None:
        """A send was acknowledged or refused."""
        self.inflight -= 1
        if self.interval_ns == 0 and self.remaining > 0:
            now = monotonic_ns()
            if self.stop_ns and now >= self.stop_ns:
                self.remaining = 0
            else:
                self._send(now)
        self._maybe_done()

    def abandon(self) -> None:
        """The socket is gone: stop, leaving what is unsent or unacknowledged counted."""
        self.transport = None
        if not self.done:
            self.done = True
            self.tally.sender_finished()

    def _maybe_done(self) -> None:
        """Tell the tally once this sender has nothing left to send or to hear back."""
        if not self.done and self.remaining <= 0 and self.inflight <= 0:
            self.done = True
            self.tally.sender_finished()


class BenchDevice(WSListener):  # type: ignore[misc]
    """A device's socket; may be opened, closed and opened again (reconnect)."""

    def __init__(
        self, tally: Tally, spec: DeviceSpec, text_size: int, heartbeat: bool = True
    ) -> None:
        super().__init__()
        self.heartbeat = heartbeat
        self.beat: asyncio.TimerHandle | None = None
        self.tally = tally
        self.spec = spec
        self.user_id = spec.user_id
        self.tracks = {cid: SeqTrack(0) for cid in spec.channels}
        self.cursor: SeqTrack | None = None
        self.sender = Sender(spec.send, spec.tag, tally, text_size) if spec.send else None
        self.transport: WSTransport | None = None
        self.closing = False
        self.waiter: asyncio.Future[None] | None = None
        self.gone: asyncio.Future[None] | None = None
        self.opened_ns = 0
        self.synced_ns = 0

    # -- opening and closing -----------------------------------------------------------

    async def open(
        self, url: str, source: str, resume: bool, read_buffer: int, timeout: float
    ) -> None:
        """Connect, send hello (with the cursor when `resume`), wait for welcome."""
        loop = asyncio.get_running_loop()
        self.closing = False
        self.waiter = loop.create_future()
        self.gone = loop.create_future()
        self.opened_ns = monotonic_ns()
        extra: dict[str, Any] = {"local_addr": (source, 0)} if source else {}
        transport, _ = await ws_connect(
            lambda: self,
            url,
            websocket_handshake_timeout=timeout,
            read_buffer_init_size=read_buffer,
            max_frame_size=2 << 20,
            **extra,
        )
        cursor = self.cursor.last if resume and self.cursor is not None else None
        transport.send(TEXT, frames.hello(self.spec.token, cursor))
        await asyncio.wait_for(self.waiter, timeout)

    async def close(self, timeout: float = 5.0) -> None:
        transport = self.transport
        if transport is None or transport.is_disconnected:
            return
        self.closing = True
        self._stop_beating()
        transport.send_close()
        transport.disconnect()
        if self.gone is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.gone), timeout)
            except TimeoutError:
                transport.disconnect(graceful=False)

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        if self.sender is not None:
            self.sender.transport = transport

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._stop_beating()
        if not self.closing:
            self.closing = True
            self.tally.closed(1006)
        if self.sender is not None:
            # No acknowledgement can come any more: what is left counts as unacknowledged.
            self.sender.abandon()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("disconnected before welcome"))
        if self.gone is not None and not self.gone.done():
            self.gone.set_result(None)

    # -- frames ------------------------------------------------------------------------

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != TEXT:
            if frame.msg_type == WSMsgType.CLOSE:
                if not self.closing:
                    self.closing = True
                    self.tally.closed(frame.get_close_code().value)
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            return
        f = frames.DECODER.decode(frame.get_payload_as_memoryview())
        kind = f.type
        if kind == "message":
            self._message(f)
        elif kind == "sent":
            self._sent(f)
        elif kind == "welcome":
            self._welcome(f)
        elif kind == "synced":
            self._synced(f)
        elif kind == "error":
            self._error(f)
        elif kind == "reset":
            self.tally.resets += 1
            self.tally.note(f"reset to cursor {f.cursor} for user {self.user_id}")

    def _message(self, f: frames.InFrame) -> None:
        m = f.message
        if not isinstance(m, frames.InMessage):
            return
        tally = self.tally
        now = monotonic_ns()
        cursor = f.cursor
        if cursor is not None:
            track = self.cursor
            if track is None:  # a message before welcome: the check below reports it
                track = self.cursor = SeqTrack(cursor - 1)
            track.see(cursor)
        channel = self.tracks.get(m.channel_id)
        if channel is None:
            tally.foreign += 1
            return
        if channel.see(m.message_id):
            tally.received += 1
            tally.last_delivery_ns = now
            if tally.received >= tally.target:
                tally.check_complete()
        if m.sender_id == self.user_id:
            tally.echoes += 1
            return
        tally.delivered += 1
        stamp = frames.stamp_of(m.text)
        if stamp > 0:
            latency = (now - stamp) // 1000
            tally.latencies.append(latency)
            if latency > tally.peak_us:
                tally.peak_us = latency

    def _sent(self, f: frames.InFrame) -> None:
        if f.channel_id is not None and f.message_id is not None:
            self.tally.ack(f.channel_id, f.message_id)
        if self.sender is not None:
            self.sender.settled()

    def _welcome(self, f: frames.InFrame) -> None:
        if self.cursor is None:
            self.cursor = SeqTrack(f.cursor or 0)
        self.tally.connected += 1
        if self.heartbeat and f.heartbeat_interval and self.beat is None:
            interval = max(0.05, f.heartbeat_interval)
            self.beat = asyncio.get_running_loop().call_later(interval, self._ping, interval)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _ping(self, interval: float) -> None:
        """A heartbeat every `interval` seconds while the socket is open (a timer, not a
        task: one per device)."""
        transport = self.transport
        if transport is None or self.closing or transport.is_disconnected:
            self.beat = None
            return
        transport.send(TEXT, frames.PING)
        self.beat = asyncio.get_running_loop().call_later(interval, self._ping, interval)

    def _stop_beating(self) -> None:
        if self.beat is not None:
            self.beat.cancel()
            self.beat = None

    def _synced(self, f: frames.InFrame) -> None:
        self.synced_ns = monotonic_ns()
        last = self.cursor.last if self.cursor is not None else None
        if f.cursor != last:
            self.tally.note(f"synced at {f.cursor} but the last cursor seen was {last}")
            self.tally.errors["synced_mismatch"] = self.tally.errors.get("synced_mismatch", 0) + 1
        self.tally.synced += 1
        self.tally.on_synced()

    def _error(self, f: frames.InFrame) -> None:
        self.tally.error(f.code or "?", f"{f.message} (ref {f.ref})")
        if f.ref and self.sender is not None and "." in f.ref:
            self.sender.settled()
