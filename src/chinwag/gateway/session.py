"""One device's WebSocket session as a pure state machine: no sockets, no clock, no tasks.

Every rule that decides what a device is sent, and when, lives here: the framing rules
left to us, the frame rate, the phases (enforced from `protocol/session.py`), hello and
the frames pipelined behind it, the order of inbox and large-group frames with gap
repair, replay in batches with backpressure, and the in-flight limit on sends.
`gateway/connection.py` feeds it events and carries out its actions, nothing more.

Events (methods):
  receive_frame      a WebSocket frame arrived
  authenticated, refused, storage_failed
                     the outcome of an `Authenticate` or of any read
  head_read, inbox_read, history_read
                     the answer to `ReadHead`, `ReadInbox`, `ReadHistory`
  sent, call_failed  a `Submit` committed or failed; a `Typing` or `MarkRead` failed
  deliver, deliver_large, forget_group
                     live traffic from the hub
  timer_fired        a `SetTimer` expired
  write_paused, write_resumed, flushed
                     the socket's write buffer crossed its mark, came back under it, or
                     was just flushed on request
  disconnected       the socket is gone

Actions, taken in order from `actions`; bytes ready for the socket from
`data_to_send()` (whole WebSocket text frames, in order).

Order: a device's cursor is the seq of the last inbox entry it processed, so it must
see entries in seq order with no gaps, or it would resume past one it never saw.
Commits of different processes can be published out of order and the bus may drop a
frame, so a frame ahead of the next expected seq is held; if the gap has not closed
after `gap_wait` the missing entries are read from storage. While a replay runs (or
before the welcome) the next expected seq is unknown and every live frame is held;
the end of the replay says where the device stands, and the held frames past it follow
in order. Large groups follow the same rule by message_id, repaired from history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chinwag import wire
from chinwag.clock import Stamps
from chinwag.errors import ChinwagError, Code
from chinwag.gateway.actions import (
    FLUSH,
    PAUSE,
    READ_HEAD,
    RESUME,
    SEEN,
    AckToDevice,
    Action,
    Authenticate,
    CancelTimer,
    Close,
    Disconnect,
    MarkRead,
    Pong,
    ReadHistory,
    ReadInbox,
    SetTimer,
    StartTyping,
    Submit,
    Timer,
)
from chinwag.messaging.models import InboxEntry, Message, Stored
from chinwag.protocol import codec, framing
from chinwag.protocol.frames import (
    AnyClientFrame,
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
    ToDeviceAck,
    Typing,
    Welcome,
)
from chinwag.protocol.session import CloseCode, Phase, Reaction, next_phase, reaction
from chinwag.protocol.wsframe import text_header

# WebSocket opcodes (RFC 6455 §5.2).
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

_PONG = codec.encode_obj({"type": "pong"})
_TYPE: dict[type[AnyClientFrame], str] = {
    Hello: "hello",
    Send: "send",
    Sync: "sync",
    Ping: "ping",
    Typing: "typing",
    Read: "read",
    ToDeviceAck: "to_device_ack",
}
# What one class of frame does in each phase, read once from the table.
_REACTIONS: dict[Phase, dict[type[AnyClientFrame], Reaction]] = {
    phase: {kind: reaction(phase, name) for kind, name in _TYPE.items()} for phase in Phase
}
_IN_LIVE = _REACTIONS[Phase.LIVE]
HISTORY_REPAIR_LIMIT = 200
_SLOW = "too slow to keep up; reconnect and sync"


@dataclass(frozen=True, slots=True)
class SessionConfig:
    limits: codec.Limits
    gateway_id: str
    heartbeat_interval: float
    hello_timeout: float
    frames_per_sec: int
    max_frame_bytes: int
    sync_backlog_limit: int
    # Bytes of live frames a device may have held while it replays; also the socket's
    # write-buffer mark, past which a device that is not replaying is cut off.
    send_buffer_bytes: int
    max_inflight: int = 256
    gap_wait: float = 0.25
    max_early_frames: int = 64
    replay_batch: int = 500
    max_ahead: int = 1024
    drain_wait: float = 30.0
    # Formats the `sent` acknowledgements' times (shared by the sessions of a hub).
    stamps: Stamps = field(default_factory=Stamps, compare=False)


# -- ordering ---------------------------------------------------------------------------


class Order:
    """One stream's frames (a user's inbox by seq, a large group by message_id) in order.

    `next` is the next number the device may see, or None while it is unknown (before
    the welcome, during a replay): then everything is held. Numbers behind `next` are
    duplicates and dropped.
    """

    __slots__ = ("ahead", "held_bytes", "next")

    def __init__(self) -> None:
        self.next: int | None = None
        self.ahead: dict[int, bytes] = {}
        self.held_bytes = 0

    def stop(self) -> None:
        """Hold everything until `start` (a replay begins)."""
        self.next = None

    def start(self, after: int, out: list[bytes]) -> None:
        """The device has everything up to `after`: what is held past it follows."""
        self.next = after + 1
        stale = [n for n in self.ahead if n <= after]
        for n in stale:
            self.held_bytes -= len(self.ahead.pop(n))
        self._drain(out)

    def offer(self, n: int, data: bytes, out: list[bytes]) -> None:
        """Append to `out` the frames this one lets go, in order."""
        expected = self.next
        if expected is not None and n < expected:
            return
        if n == expected:
            out.append(data)
            self.next = n + 1
            if self.ahead:
                self._drain(out)
            return
        if n not in self.ahead:
            self.ahead[n] = data
            self.held_bytes += len(data)

    def missing(self) -> tuple[int, int] | None:
        """(after, upto): the numbers to read to close the gap, if there is one."""
        if not self.ahead or self.next is None:
            return None
        return self.next - 1, min(self.ahead) - 1

    def give_up(self, out: list[bytes]) -> None:
        """Stop waiting for what is missing: held frames go out from the lowest."""
        if self.ahead:
            self.next = min(self.ahead)
            self._drain(out)

    def _drain(self, out: list[bytes]) -> None:
        n = self.next
        assert n is not None
        ahead = self.ahead
        while n in ahead:
            data = ahead.pop(n)
            self.held_bytes -= len(data)
            out.append(data)
            n += 1
        self.next = n


@dataclass(slots=True)
class _Replay:
    """A sync in progress: entries after `cursor` up to `head` go out in batches."""

    cursor: int
    head: int | None = None  # None until ReadHead answers
    draining: bool = False


@dataclass(slots=True)
class _Early:
    """What arrives before the welcome: client frames (undecoded), cursorless frames for
    the device, and large-group frames, all let go in order once it is out."""

    frames: list[bytes] = field(default_factory=list)
    plain: list[bytes] = field(default_factory=list)
    plain_bytes: int = 0
    large: list[tuple[str, bytes, int]] = field(default_factory=list)


# -- the session -----------------------------------------------------------------------


class Session:
    """One device's session; see the module docstring. Guarantees: nothing is written
    before the welcome or after a close; inbox frames go out in seq order with no seq
    twice; at most `max_inflight` sends are in flight before reading pauses; held
    frames are bounded (bytes while the position is unknown, count behind a gap)."""

    __slots__ = (
        "_early",
        "_fragments",
        "_fragments_size",
        "_group_reads",
        "_groups",
        "_hello",
        "_inbox",
        "_inflight",
        "_open",
        "_paused_reading",
        "_pipelined",
        "_rate",
        "_repairing",
        "_replay",
        "_timers",
        "_writable",
        "actions",
        "clean_close",
        "config",
        "out",
        "phase",
    )

    def __init__(self, config: SessionConfig, now: float) -> None:
        self.config = config
        self.phase = Phase.AWAITING_HELLO
        self.clean_close = False
        self.actions: list[Action] = []
        # Whole WebSocket frames ready for the socket, in order (see data_to_send).
        self.out: list[bytes] = []
        self._open = True  # frames may still be written (not closing or closed)
        self._rate = framing.FrameRate(config.frames_per_sec, now)
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._hello: Hello | None = None
        self._early: _Early | None = _Early()
        self._pipelined: list[bytes] | None = None  # frames behind hello, until synced
        self._inbox = Order()
        self._groups: dict[str, Order] = {}
        self._replay: _Replay | None = None
        self._writable = True
        self._timers: set[Timer] = set()
        self._repairing = False
        self._group_reads = 0
        self._inflight = 0
        self._paused_reading = False

    # -- output ------------------------------------------------------------------------

    def data_to_send(self) -> list[bytes]:
        """Bytes for the socket, in order; the session forgets them."""
        out, self.out = self.out, []
        return out

    def _write(self, data: bytes) -> None:
        if self._open:
            out = self.out
            out.append(text_header(len(data)))
            out.append(data)

    def _write_all(self, frames: list[bytes]) -> None:
        for data in frames:
            self._write(data)

    def _error(
        self, code: Code, message: str, ref: str | None = None, retry_after: float | None = None
    ) -> None:
        self._write(codec.encode(ErrorFrame(code.value, message, ref, retry_after)))

    def close(self, code: CloseCode, reason: str) -> None:
        """Begin the closing handshake (also the hub's way to end a session)."""
        if not self._open:
            return
        self._to("close")
        self._open = False
        self._cancel_timers()
        self.actions.append(Close(code, reason))

    def _to(self, event: str) -> None:
        self.phase = next_phase(self.phase, event)

    def _set_timer(self, timer: Timer, delay: float) -> None:
        if timer not in self._timers:
            self._timers.add(timer)
            self.actions.append(SetTimer(timer, delay))

    def _cancel_timer(self, timer: Timer) -> None:
        if timer in self._timers:
            self._timers.discard(timer)
            self.actions.append(CancelTimer(timer))

    def _cancel_timers(self) -> None:
        for timer in list(self._timers):
            self._cancel_timer(timer)

    # -- the socket ----------------------------------------------------------------------

    def connected(self) -> None:
        """The WebSocket handshake is done: the hello clock starts."""
        self._set_timer(Timer.HELLO, self.config.hello_timeout)

    def disconnected(self) -> None:
        self._to("disconnected")
        self._open = False
        self._timers.clear()

    def write_paused(self) -> None:
        self._writable = False
        if self._replay is None:
            # Not reading fast enough: cut it off before memory grows.
            self.close(CloseCode.TOO_SLOW, _SLOW)

    def write_resumed(self) -> None:
        self._writable = True
        replay = self._replay
        if replay is not None and replay.draining:
            replay.draining = False
            self._cancel_timer(Timer.DRAIN)
            self._next_batch(replay)

    def flushed(self) -> None:
        replay = self._replay
        if replay is None or not self._open:
            return
        if self._writable:
            self._next_batch(replay)
        else:
            replay.draining = True
            self._set_timer(Timer.DRAIN, self.config.drain_wait)

    def receive_frame(self, opcode: int, fin: bool, rsv: bool, payload: bytes, now: float) -> None:
        if not self._open:
            # Our close frame is out: drop what the client still sends until its close
            # answers ours (RFC 6455 5.5.1). Closing with unread input would reset the
            # connection, and a reset can cost the client our close frame.
            if opcode == CLOSE and self.phase is Phase.CLOSING:
                self.actions.append(Disconnect(None))
            return
        if self._rate.over(now):
            self.close(CloseCode.RATE_LIMITED, "too many frames; slow down")
            return
        if rsv or opcode == BINARY:  # the only frames check_frame can refuse
            refusal = framing.check_frame(self.phase, opcode == BINARY, rsv)
            if refusal is not None:
                self.close(refusal.code, refusal.reason)
                return
        if opcode == TEXT:
            if self._fragments:
                self.close(framing.INTERLEAVED.code, framing.INTERLEAVED.reason)
            elif fin:
                self._whole_text(payload)
            else:
                self._fragments = [payload]
                self._fragments_size = len(payload)
        elif opcode == CONTINUATION:
            if not self._fragments:
                self.close(framing.NO_MESSAGE.code, framing.NO_MESSAGE.reason)
                return
            self._fragments_size += len(payload)
            if self._fragments_size > self.config.max_frame_bytes:
                self.close(CloseCode.TOO_LARGE, "message too large")
                return
            self._fragments.append(payload)
            if fin:
                data = b"".join(self._fragments)
                self._fragments = []
                self._whole_text(data)
        elif opcode == CLOSE:
            self.clean_close = True
            self._to("close")
            self._open = False
            self._cancel_timers()
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 0
            self.actions.append(Disconnect(code))
        elif opcode == PING:
            self.actions.append(Pong(payload))
        elif opcode == BINARY:
            if self._fragments:
                self.close(framing.INTERLEAVED.code, framing.INTERLEAVED.reason)
                return
            self._error(Code.INVALID_REQUEST, "binary frames are not supported; send JSON text")
        # PONG needs nothing.

    def timer_fired(self, timer: Timer) -> None:
        if timer not in self._timers:
            return  # cancelled after it was due
        self._timers.discard(timer)
        if timer is Timer.GAP:
            self._repair()
        elif timer is Timer.GROUPS:
            self._repair_groups()
        elif timer is Timer.HELLO:
            if self.phase is Phase.AWAITING_HELLO:
                self.close(CloseCode.PROTOCOL_ERROR, "no hello in time")
        elif timer is Timer.DRAIN:
            self.close(CloseCode.TOO_SLOW, _SLOW)

    # -- client frames -------------------------------------------------------------------

    def _whole_text(self, data: bytes) -> None:
        if not data.isascii():  # most frames are ASCII: no need to decode them here
            refusal = framing.check_text(data)
            if refusal is not None:
                self.close(refusal.code, refusal.reason)
                return
        phase = self.phase
        if phase is Phase.LIVE:
            self._live(data)
        elif phase is Phase.AWAITING_HELLO:
            self._first(data)
        else:  # AUTHENTICATING: the table defers every frame
            early = self._early
            assert early is not None
            if len(early.frames) >= self.config.max_early_frames:
                self.close(CloseCode.PROTOCOL_ERROR, "too many frames before welcome")
            else:
                early.frames.append(data)

    def _first(self, data: bytes) -> None:
        try:
            frame = codec.decode(data, self.config.limits)
        except codec.FrameError:
            self.close(CloseCode.PROTOCOL_ERROR, "the first frame must be a valid hello")
            return
        if _REACTIONS[self.phase][type(frame)] is not Reaction.ACCEPT:
            self.close(CloseCode.PROTOCOL_ERROR, "the first frame must be hello")
            return
        assert isinstance(frame, Hello)
        self._to("hello")
        self._hello = frame
        self._cancel_timer(Timer.HELLO)
        self.actions.append(Authenticate(frame.token))

    def _live(self, data: bytes) -> None:
        self.actions.append(SEEN)
        try:
            frame = codec.decode(data, self.config.limits)
        except codec.FrameError as exc:
            self._error(exc.code, exc.message, exc.ref)
            return
        kind = type(frame)
        if _IN_LIVE[kind] is not Reaction.ACCEPT:
            self._error(Code.INVALID_REQUEST, "already authenticated")
        elif kind is Send:
            assert isinstance(frame, Send)
            self._inflight += 1
            if self._inflight >= self.config.max_inflight and not self._paused_reading:
                # Backpressure: stop reading this socket until acks catch up.
                self._paused_reading = True
                self.actions.append(PAUSE)
            self.actions.append(Submit(frame))
        elif isinstance(frame, Ping):
            self._write(_PONG)
        elif isinstance(frame, Sync):
            if self._replay is not None:
                self._error(Code.INVALID_REQUEST, "a sync is already in progress")
            else:
                self._begin_sync(frame.cursor)
        elif isinstance(frame, Typing):
            self.actions.append(StartTyping(frame.channel_id))
        elif isinstance(frame, Read):
            self.actions.append(MarkRead(frame.channel_id, frame.message_id))
        elif isinstance(frame, ToDeviceAck):
            self.actions.append(AckToDevice(frame.seq))

    # -- outcomes of the connection's calls ------------------------------------------------

    def refused(self, code: CloseCode, reason: str) -> None:
        """The hello failed: bad token (4001), too many sockets (4008), or other."""
        self.close(code, reason)

    def storage_failed(self) -> None:
        self.close(CloseCode.GOING_AWAY, "storage unavailable; reconnect and sync")

    def authenticated(
        self, user_id: str, device_id: str, head: int, large: list[tuple[str, int]]
    ) -> None:
        if self.phase is not Phase.AUTHENTICATING:
            return
        self._to("welcome")
        config = self.config
        heads = [LargeGroupHead(cid, last) for cid, last in large]
        self._write(
            codec.encode(
                Welcome(
                    user_id, device_id, head, config.heartbeat_interval, config.gateway_id, heads
                )
            )
        )
        for channel_id, last in large:
            order = self._groups[channel_id] = Order()
            order.start(last, [])
        early, self._early = self._early, None
        assert early is not None and self._hello is not None
        self._write_all(early.plain)
        for channel_id, data, n in early.large:
            self.deliver_large(channel_id, data, n)
        self._pipelined = early.frames
        cursor = self._hello.cursor
        if cursor is None:
            self._release(head)
        else:
            self._replay = _Replay(cursor)
            self.head_read(head)

    def head_read(self, head: int) -> None:
        replay = self._replay
        if replay is None or replay.head is not None or not self._open:
            return
        if replay.cursor > head or head - replay.cursor > self.config.sync_backlog_limit:
            # A cursor from the future (another server's data, or a bug), or too far
            # behind to replay: start over from the newest.
            self._replay = None
            self._write(codec.encode(Reset(head)))
            self._release(head)
            return
        replay.head = head
        self._next_batch(replay)

    def inbox_read(self, read: ReadInbox, entries: list[InboxEntry]) -> None:
        if not self._open:
            return
        if read.repair:
            self._repairing = False
            out: list[bytes] = []
            order = self._inbox
            for e in entries:
                order.offer(
                    e.seq, codec.entry_frame(e.event, wire.message_json(e.message), e.seq), out
                )
            self._write_all(out)
            self._after_offer()
            return
        replay = self._replay
        if replay is None:
            return
        if not entries:
            self._finish_replay(replay)
            return
        for e in entries:
            self._write(codec.entry_frame(e.event, wire.message_json(e.message), e.seq))
        replay.cursor = entries[-1].seq
        self.actions.append(FLUSH)

    def history_read(self, read: ReadHistory, messages: list[Message]) -> None:
        self._group_reads -= 1
        order = self._groups.get(read.channel_id)
        if order is None or not self._open:
            return
        out: list[bytes] = []
        for m in messages:
            order.offer(m.message_id, codec.message_frame(wire.message_json(m), None), out)
        if not messages:
            # Nothing stored there (cannot happen with gapless ids): stop waiting.
            order.give_up(out)
        self._write_all(out)
        if self._group_reads == 0 and any(o.ahead for o in self._groups.values()):
            self._set_timer(Timer.GROUPS, self.config.gap_wait)

    def sent(self, frame: Send, outcome: Stored | ChinwagError) -> None:
        self._inflight -= 1
        if self._paused_reading and self._inflight < self.config.max_inflight // 2:
            self._paused_reading = False
            self.actions.append(RESUME)
        if isinstance(outcome, ChinwagError):
            self._error(outcome.code, outcome.message, frame.client_msg_id, outcome.retry_after)
        else:
            m = outcome.message
            self._write(
                codec.encode(
                    Sent(
                        m.client_msg_id,
                        m.channel_id,
                        m.message_id,
                        self.config.stamps(m.created_at),
                    )
                )
            )

    def call_failed(
        self, code: Code, message: str, ref: str | None = None, retry_after: float | None = None
    ) -> None:
        """A typing or read call was refused, or a call failed unexpectedly."""
        self._error(code, message, ref, retry_after)

    # -- sync ------------------------------------------------------------------------------

    def _begin_sync(self, cursor: int) -> None:
        self._replay = _Replay(cursor)
        self._inbox.stop()
        self.actions.append(READ_HEAD)

    def _next_batch(self, replay: _Replay) -> None:
        assert replay.head is not None
        if replay.cursor < replay.head:
            self.actions.append(ReadInbox(replay.cursor, self.config.replay_batch, False))
        else:
            self._finish_replay(replay)

    def _finish_replay(self, replay: _Replay) -> None:
        self._replay = None
        self._cancel_timer(Timer.DRAIN)
        self._write(codec.encode(Synced(replay.cursor)))
        self._release(replay.cursor)

    def _release(self, cursor: int) -> None:
        """The device stands at `cursor`: held live frames past it go out, then the
        frames it pipelined behind its hello are handled."""
        out: list[bytes] = []
        self._inbox.start(cursor, out)
        self._write_all(out)
        self._after_offer()
        pipelined, self._pipelined = self._pipelined, None
        for data in pipelined or ():
            if self.phase is not Phase.LIVE:
                break
            self._live(data)

    # -- live traffic ------------------------------------------------------------------------

    def deliver(self, data: bytes, seq: int) -> None:
        """A frame for this device; `seq` is its inbox seq, 0 for frames without one."""
        if seq == 0:
            early = self._early
            if early is None:
                self._write(data)
            else:
                early.plain.append(data)
                early.plain_bytes += len(data)
                if early.plain_bytes > self.config.send_buffer_bytes:
                    self.close(CloseCode.TOO_SLOW, _SLOW)
            return
        order = self._inbox
        if seq == order.next and not order.ahead:  # the common case
            order.next = seq + 1
            self._write(data)
            return
        out: list[bytes] = []
        order.offer(seq, data, out)
        self._write_all(out)
        self._after_offer()

    def _after_offer(self) -> None:
        order = self._inbox
        if not order.ahead:
            return
        if order.next is None:
            if order.held_bytes > self.config.send_buffer_bytes:
                self.close(CloseCode.TOO_SLOW, _SLOW)
        elif len(order.ahead) > self.config.max_ahead:
            self.close(CloseCode.TOO_SLOW, "too far behind; reconnect and sync")
        else:
            self._set_timer(Timer.GAP, self.config.gap_wait)

    def _repair(self) -> None:
        """A gap did not close by itself (a frame was dropped, or commits were published
        out of order): read the missing entries from storage."""
        span = self._inbox.missing()
        if span is None or self._repairing:
            return
        after, upto = span
        self._repairing = True
        self.actions.append(ReadInbox(after, upto - after, True))

    def deliver_large(self, channel_id: str, data: bytes, n: int) -> None:
        """A large group's frame: messages (n = message_id) go out in id order."""
        early = self._early
        if early is not None:
            early.large.append((channel_id, data, n))
            return
        if n == 0:
            self._write(data)
            return
        order = self._groups.get(channel_id)
        if order is None:
            # Joined after the welcome: this message starts the group's order.
            order = self._groups[channel_id] = Order()
            order.start(n - 1, [])
        out: list[bytes] = []
        order.offer(n, data, out)
        self._write_all(out)
        if order.ahead:
            self._set_timer(Timer.GROUPS, self.config.gap_wait)

    def forget_group(self, channel_id: str) -> None:
        self._groups.pop(channel_id, None)

    def _repair_groups(self) -> None:
        """A large group's message was published out of order or dropped: read the
        missing ones from history."""
        if self._group_reads:
            return
        for channel_id, order in self._groups.items():
            span = order.missing()
            if span is not None:
                self._group_reads += 1
                after, upto = span
                limit = min(upto - after, HISTORY_REPAIR_LIMIT)
                self.actions.append(ReadHistory(channel_id, after, upto, limit))
