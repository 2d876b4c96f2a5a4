"""What the gateway's own code costs per reconnecting device, in instructions: the
socket opens, `hello` with a cursor 50 entries behind, `welcome`, the 50 messages,
`synced`, and the socket closes. Storage answers at once from memory, so only the
gateway is counted; instruction counts do not depend on how busy the machine is. Run
under callgrind, once empty:

    for m in empty run; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python scripts/gateway_sync_cost.py $m 2>&1 | grep Collected; done

(per device = (run - empty) / 1,000). With PYTHONPATH=OTHER/src it measures another
checkout; it works with the connection before and after the session was split out.
"""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace
from typing import Any

from picows import WSMsgType

from chinwag.accounts.models import Device
from chinwag.config import Settings
from chinwag.gateway import connection
from chinwag.messaging.models import InboxEntry, Message
from chinwag.protocol import codec

DEVICES = 1_000
MISSED = 50
HELLO = b'{"type":"hello","token":"t","cursor":0}'
ENTRIES = [
    InboxEntry(seq, Message("c1", seq, "u2", f"missed {seq}", 1_700_000_000_000, f"m{seq}"))
    for seq in range(1, MISSED + 1)
]


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


class Services:
    async def authenticate(self, token: str) -> Device:
        return Device("d1", "u1", "bench", 0)

    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]:
        return []

    async def around(self, user_id: str) -> tuple[list[str], list[str]]:
        return [], []

    async def pending(self, device_id: str, after: int, limit: int) -> list[Any]:
        return []

    async def inbox_head(self, user_id: str) -> int:
        return MISSED

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        return ENTRIES[cursor : cursor + limit]


class Hub:
    def __init__(self) -> None:
        settings = Settings()
        self.settings = settings
        self.limits = codec.Limits(max_text_chars=settings.max_text_chars)
        self.accounts = self.channels = self.messaging = Services()
        self.blocks = self.e2ee = Services()  # for trees that have them
        self.metrics = SimpleNamespace(slow_closes=0)
        self.gateway_id = "gw"
        self.dirty: list[Any] = []
        try:
            from chinwag.gateway.session import SessionConfig
        except ImportError:
            return
        self.session_config = SessionConfig(
            limits=self.limits,
            gateway_id="gw",
            heartbeat_interval=settings.heartbeat_interval,
            hello_timeout=settings.hello_timeout,
            frames_per_sec=settings.frames_per_sec,
            max_frame_bytes=settings.max_frame_bytes,
            sync_backlog_limit=settings.sync_backlog_limit,
            send_buffer_bytes=settings.send_buffer_bytes,
        )

    def monotonic(self) -> float:
        return 1.0

    def opened(self, conn: Any) -> None:
        pass

    def admit(self, conn: Any) -> str | None:
        return None

    def register(self, conn: Any) -> None:
        pass

    def closed(self, conn: Any) -> None:
        pass

    seen_every = 0.0  # every frame is a heartbeat

    def seen(self, conn: Any) -> None:
        pass

    def want_flush(self, conn: Any) -> None:
        self.dirty.append(conn)


async def device(hub: Hub) -> int:
    conn = connection.Connection(hub, "127.0.0.1")
    transport = Transport()
    conn.on_ws_connected(transport)
    conn.on_ws_frame(transport, Frame(HELLO))
    while conn._tasks:  # noqa: ASYNC110 (the loop turns are part of what is counted)
        await asyncio.sleep(0)
    for c in hub.dirty:
        c.flush()
    hub.dirty.clear()
    conn.on_ws_disconnected(transport)
    return transport.underlying_transport.written


async def main(mode: str) -> None:
    hub = Hub()
    for _ in range(DEVICES if mode == "run" else 1):
        # welcome, the messages, synced: a header and a payload each
        assert await device(hub) == 2 * (MISSED + 2)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
