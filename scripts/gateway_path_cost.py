"""What the gateway's own code costs per 1:1 message, in instructions (no storage, no
bus, no socket): a `send` frame in, its `sent` ack out, the message delivered to a
device, and the flush. Instruction counts do not depend on how busy the machine is, so
two commits can be compared on a shared machine. Run under callgrind, once empty:

    for m in empty run; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python scripts/gateway_path_cost.py $m 2>&1 | grep Collected; done

(per message = (run - empty) / 20,000). With PYTHONPATH=OTHER/src it measures another
checkout; it works with the connection before and after the session was split out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from picows import WSMsgType

from chinwag import wire
from chinwag.config import Settings
from chinwag.errors import ChinwagError
from chinwag.gateway import connection
from chinwag.messaging.models import Message, Stored
from chinwag.protocol import codec

N = 20_000
SEND = (
    b'{"type":"send","channel_id":"c4h3k2j5l6m7n8p9q","client_msg_id":"m-000123",'
    b'"text":"hello there, how are you doing today?"}'
)
HELLO = b'{"type":"hello","token":"t"}'
MESSAGE = Message("c4h3k2j5l6m7n8p9q", 1, "u1", "hello there", 1_700_000_000_000, "m-000123")
STORED = Stored(MESSAGE, {"u1": 1, "u2": 1}, ())


class Frame:
    def __init__(self, payload: bytes) -> None:
        self.msg_type = WSMsgType.TEXT
        self.fin = True
        self.rsv1 = self.rsv2 = self.rsv3 = False
        self._payload = payload

    def get_payload_as_bytes(self) -> bytes:
        return self._payload


class Raw:
    def __init__(self) -> None:
        self.written = 0

    def writelines(self, parts: list[bytes]) -> None:
        self.written += len(parts)

    def set_write_buffer_limits(self, high: int) -> None:
        pass


class Transport:
    def __init__(self) -> None:
        self.underlying_transport = Raw()
        self.is_disconnected = False


class Messaging:
    def submit(
        self, *args: Any, **kwargs: Any
    ) -> None:  # the commit answers at once: only the gateway's work is counted
        on_done: Callable[[Stored | ChinwagError], None] = args[5]
        on_done(STORED)


class Hub:
    def __init__(self) -> None:
        settings = Settings()
        self.settings = settings
        self.limits = codec.Limits(max_text_chars=settings.max_text_chars)
        self.messaging = Messaging()
        self.metrics = SimpleNamespace(slow_closes=0)
        self.dirty: list[Any] = []
        self.gateway_id = "gw"
        try:
            from chinwag.gateway.session import SessionConfig
        except ImportError:
            return
        self.session_config = SessionConfig(
            limits=self.limits,
            gateway_id="gw",
            heartbeat_interval=settings.heartbeat_interval,
            hello_timeout=settings.hello_timeout,
            frames_per_sec=10**9,
            max_frame_bytes=settings.max_frame_bytes,
            sync_backlog_limit=settings.sync_backlog_limit,
            send_buffer_bytes=settings.send_buffer_bytes,
        )

    def monotonic(self) -> float:
        return 1.0

    seen_every = 0.0  # every frame is a heartbeat

    def seen(self, conn: Any) -> None:
        pass

    def want_flush(self, conn: Any) -> None:
        self.dirty.append(conn)


def live_connection() -> Any:
    hub = Hub()
    hub.settings = Settings(frames_per_sec=10**9)
    conn = connection.Connection(hub, "127.0.0.1")
    conn.transport = Transport()
    conn.user_id, conn.device_id = "u1", "d1"
    session = getattr(conn, "session", None)
    if session is not None:  # the session state machine
        session.receive_frame(1, True, False, HELLO, 1.0)
        session.actions.clear()
        session.authenticated("u1", "d1", 0, [])
    else:  # the connection before it
        from chinwag.protocol.session import Phase

        conn.phase = Phase.LIVE
        conn._early_large = None
        conn._release(0)
    conn.flush()
    return conn


def main(mode: str) -> None:
    conn = live_connection()
    frame, transport = Frame(SEND), conn.transport
    before = transport.underlying_transport.written
    body = wire.message_json(MESSAGE)
    delivered = [codec.message_frame(body, seq) for seq in range(1, N + 1)]
    if mode == "empty":
        for _ in range(1, N + 1):
            pass
        return
    for seq in range(1, N + 1):
        conn.on_ws_frame(transport, frame)
        conn.deliver(delivered[seq - 1], seq)
        conn.flush()
    assert transport.underlying_transport.written - before == 4 * N, "every ack and message written"


if __name__ == "__main__":
    main(sys.argv[1])
