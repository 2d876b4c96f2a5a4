"""What the event loop's own work costs per 1:1 message, in instructions: the whole
send path of a running app (gateway, messaging, bus, hub, presence, push trigger), but
storage answers from memory and the sockets are in-process. A `send` frame in, the
`sent` ack and the message to both members' devices out, every write flushed. Storage
resolves each turn's sends together on a later turn, as the SQLite writer does, so the
loop turns and futures are those of the server. Instruction counts do not depend on how
busy the machine is, so two commits can be compared on a shared machine. Run under
callgrind, once empty:

    for m in empty run; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python scripts/gateway_send_cost.py $m 2>&1 | grep Collected; done

(per message = (run - empty) / 20,000). With PYTHONPATH=OTHER/src it measures another
checkout. Without valgrind, `time` gives a rough figure on a quiet machine.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvloop
from picows import WSMsgType

from chinwag.app import App
from chinwag.config import Settings
from chinwag.gateway.connection import Connection
from chinwag.messaging.models import Message, SendRequest, Stored
from chinwag.store.sqlite.store import migrate_file

PAIRS = 100
ROUNDS = 200  # PAIRS * ROUNDS messages
RATE = 15_000.0  # messages a second the clock moves by


class StepClock:
    """Time moves only between rounds, as if RATE messages a second were sent."""

    def __init__(self) -> None:
        self.wall = 1_780_000_000.0
        self.mono = 1_000.0

    def now(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


class Frame:
    def __init__(self, payload: bytes) -> None:
        self.msg_type = WSMsgType.TEXT
        self.fin = True
        self.rsv1 = self.rsv2 = self.rsv3 = False
        self._payload = payload

    def get_payload_as_bytes(self) -> bytes:
        return self._payload


class Writes:
    """Frames written to every socket; `done` is set once `target` are out."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()


class Raw:
    def __init__(self, writes: Writes) -> None:
        self.writes = writes

    def writelines(self, parts: list[bytes]) -> None:
        writes = self.writes
        writes.count += len(parts) // 2  # a header and a payload per frame
        if writes.count >= writes.target:
            writes.done.set()

    def set_write_buffer_limits(self, high: int) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Transport:
    def __init__(self, writes: Writes) -> None:
        self.underlying_transport = Raw(writes)
        self.is_disconnected = False


class Channels:
    """Every channel is plain (for the encryption flags' lookups)."""

    class _Plain:
        encrypted = False

    async def get_channel(self, channel_id: str, *, with_members: bool = True) -> Any:
        return self._Plain()


class Accounts:
    def __init__(self, real: Any) -> None:
        self._real = real

    async def touch_last_active(self, user_id: str, at: int) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Messages:
    """Appends in memory; a turn's appends resolve together on a later turn."""

    def __init__(self, real: Any, members: dict[str, tuple[str, str]]) -> None:
        self._real = real
        self._members = members
        self._ids: dict[str, int] = {}
        self._seqs: dict[str, int] = {}
        self._pending: list[tuple[SendRequest, asyncio.Future[Any]]] = []

    def append(self, request: SendRequest) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._commit, loop)
        self._pending.append((request, fut))
        return fut

    def _commit(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, []
        done = []
        for request, fut in batch:
            cid = request.channel_id
            mid = self._ids[cid] = self._ids.get(cid, 0) + 1
            cursors = {}
            for user_id in self._members[cid]:
                cursors[user_id] = self._seqs[user_id] = self._seqs.get(user_id, 0) + 1
            message = Message(
                cid, mid, request.sender_id, request.text, request.created_at,
                request.client_msg_id,
            )  # fmt: skip
            done.append((fut, Stored(message, cursors, self._members[cid])))
        loop.call_soon(_resolve, done)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _resolve(done: list[tuple[asyncio.Future[Any], Stored]]) -> None:
    for fut, stored in done:
        fut.set_result(stored)


def connect(hub: Any, user_id: str, now: float, writes: Writes) -> Any:
    conn: Any = Connection(hub, "127.0.0.1")
    conn.transport = Transport(writes)
    hub.opened(conn)
    conn.session.receive_frame(1, True, False, b'{"type":"hello","token":"t"}', now)
    conn.session.actions.clear()
    conn.user_id, conn.device_id = user_id, "d" + user_id
    hub.register(conn)
    conn.session.authenticated(conn.user_id, conn.device_id, 0, [])
    conn.flush()
    return conn


async def run(mode: str, data_dir: Path) -> None:
    settings = Settings(data_dir=str(data_dir), sends_per_user_per_sec=1e9, send_burst=10**9)
    migrate_file(settings.sqlite_path)
    clock = StepClock()
    app = App(settings, clock)
    await app.start()
    try:
        services, hub = app.services, app.hub
        assert services is not None
        members = {f"c{i:05d}": (f"a{i:05d}", f"b{i:05d}") for i in range(PAIRS)}
        messaging = services.messaging
        messaging._store = Messages(messaging._store, members)
        flags: Any = messaging._encryption
        flags._store = Channels()
        services.presence._accounts = Accounts(services.presence._accounts)
        pairs: list[tuple[str, Any, Any]] = []
        writes = Writes()
        for cid, (a, b) in members.items():
            sender = connect(hub, a, clock.mono, writes)
            recipient = connect(hub, b, clock.mono, writes)
            pairs.append((cid, sender, recipient))
        await asyncio.sleep(0.01)
        if mode == "empty":
            return
        step = PAIRS / RATE
        for r in range(ROUNDS):
            frames = [
                Frame(
                    b'{"type":"send","channel_id":"%s","client_msg_id":"m-%d",'
                    b'"text":"%020d hello there, how are you doing today?"}'
                    % (cid.encode(), r, 17_000_000_000_000 + r)
                )
                for cid, _, _ in pairs
            ]
            # every sender gets its ack and its own message, every recipient the message
            writes.target = writes.count + 3 * PAIRS
            writes.done.clear()
            for (_, sender, _), frame in zip(pairs, frames, strict=True):
                sender.on_ws_frame(sender.transport, frame)
            await writes.done.wait()
            clock.advance(step)
        assert writes.count == 3 * PAIRS * ROUNDS + 2 * PAIRS, "acks and messages, no more"
    finally:
        for conn in list(hub.sockets):
            conn.transport.is_disconnected = True
            conn.on_ws_disconnected(conn.transport)
        await app.stop()


def main(mode: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        uvloop.run(run(mode, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1])
