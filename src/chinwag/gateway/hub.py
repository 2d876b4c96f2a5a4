"""The registry of this gateway's connections, and where bus traffic lands.

Indexes connections by user, device and large group so that a delivery touches only
the sockets it is for. Owned by the app, never global.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from chinwag.accounts.service import AccountService
from chinwag.bus.base import (
    BlockChanged,
    Bus,
    ChannelJoined,
    ChannelLeft,
    Control,
    DeviceRevoked,
    ForDevice,
)
from chinwag.channels.service import ChannelService
from chinwag.clock import Clock
from chinwag.config import Settings
from chinwag.e2ee.service import E2eeService
from chinwag.gateway.connection import Connection
from chinwag.gateway.session import SessionConfig
from chinwag.messaging.service import MessagingService
from chinwag.presence.service import PresenceService
from chinwag.presence.tracker import PresenceTracker
from chinwag.protocol.codec import Limits
from chinwag.protocol.session import CloseCode
from chinwag.safety.blocks import BlockService

log = logging.getLogger("chinwag.gateway")


@dataclass
class GatewayMetrics:
    opened: int = 0
    closed: int = 0
    slow_closes: int = 0
    delivered: int = 0


class Hub:
    def __init__(
        self,
        settings: Settings,
        gateway_id: str,
        clock: Clock,
        bus: Bus,
        accounts: AccountService,
        channels: ChannelService,
        messaging: MessagingService,
        e2ee: E2eeService,
        presence: PresenceService,
        tracker: PresenceTracker,
        blocks: BlockService,
    ) -> None:
        self.settings = settings
        self.gateway_id = gateway_id
        self.clock = clock
        self.monotonic = clock.monotonic
        self.bus = bus
        self.accounts = accounts
        self.channels = channels
        self.messaging = messaging
        self.e2ee = e2ee
        self.presence = presence
        self.tracker = tracker
        self.blocks = blocks
        self.limits = Limits(max_text_chars=settings.max_text_chars)
        self.session_config = SessionConfig(
            limits=self.limits,
            gateway_id=gateway_id,
            heartbeat_interval=settings.heartbeat_interval,
            hello_timeout=settings.hello_timeout,
            frames_per_sec=settings.frames_per_sec,
            max_frame_bytes=settings.max_frame_bytes,
            sync_backlog_limit=settings.sync_backlog_limit,
            send_buffer_bytes=settings.send_buffer_bytes,
        )
        # Seconds between two heartbeats of a socket passed on to presence (see
        # `Connection._seen`): within half the timeout and the last-active interval.
        self.seen_every = min(
            1.0, settings.presence_timeout / 2, settings.last_active_write_interval
        )
        self.metrics = GatewayMetrics()
        self.by_user: dict[str, set[Connection]] = {}
        self.by_device: dict[str, set[Connection]] = {}
        self.by_channel: dict[str, set[Connection]] = {}
        self.by_address: dict[str, int] = {}
        self.sockets: set[Connection] = set()
        self.accepting = True
        self._dirty: list[Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        bus.attach(self)

    # -- lifecycle of a socket ---------------------------------------------------------

    def address_full(self, address: str) -> bool:
        return self.by_address.get(address, 0) >= self.settings.connections_per_address

    def opened(self, conn: Connection) -> None:
        self.metrics.opened += 1
        self.sockets.add(conn)
        self.by_address[conn.address] = self.by_address.get(conn.address, 0) + 1

    def admit(self, conn: Connection) -> str | None:
        """Refuse a socket past the per-user cap; None when admitted."""
        if len(self.by_user.get(conn.user_id, ())) >= self.settings.connections_per_user:
            return "too many connections for this user"
        return None

    def register(self, conn: Connection) -> None:
        conns = self.by_user.get(conn.user_id)
        if conns is None:
            conns = self.by_user[conn.user_id] = set()
            self.bus.watch_user(conn.user_id)
        conns.add(conn)
        self.by_device.setdefault(conn.device_id, set()).add(conn)
        conn.registered = True
        self.tracker.connected(conn.user_id, conn, self.monotonic())
        self.presence.seen(conn.user_id)

    def closed(self, conn: Connection) -> None:
        self.metrics.closed += 1
        self.sockets.discard(conn)
        left = self.by_address.get(conn.address, 1) - 1
        if left > 0:
            self.by_address[conn.address] = left
        else:
            self.by_address.pop(conn.address, None)
        if not conn.registered:
            return
        conn.registered = False
        for channel_id in list(conn.channels):
            self.leave_channel(conn, channel_id)
        conns = self.by_user.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_user[conn.user_id]
                self.bus.unwatch_user(conn.user_id)
        devs = self.by_device.get(conn.device_id)
        if devs is not None:
            devs.discard(conn)
            if not devs:
                del self.by_device[conn.device_id]
        self.tracker.disconnected(conn.user_id, conn, self.monotonic(), clean=conn.clean_close)

    def slow_closed(self, conn: Connection) -> None:
        self.metrics.slow_closes += 1

    def seen(self, conn: Connection) -> None:
        """Any frame is a heartbeat: it brings back a user the timeout took offline."""
        if not self.tracker.is_online(conn.user_id):
            self.tracker.connected(conn.user_id, conn, self.monotonic())
        self.presence.seen(conn.user_id)

    def join_channel(self, conn: Connection, channel_id: str) -> None:
        conns = self.by_channel.get(channel_id)
        if conns is None:
            conns = self.by_channel[channel_id] = set()
            self.bus.watch_channel(channel_id)
        conns.add(conn)
        conn.channels.add(channel_id)

    def leave_channel(self, conn: Connection, channel_id: str) -> None:
        conn.channels.discard(channel_id)
        conns = self.by_channel.get(channel_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_channel[channel_id]
                self.bus.unwatch_channel(channel_id)

    # -- output --------------------------------------------------------------------------

    def want_flush(self, conn: Connection) -> None:
        if not self._dirty:
            loop = self._loop
            if loop is None:  # asking the running loop costs a getpid() system call
                loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(self._flush)
        self._dirty.append(conn)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.flush()

    # -- BusSink -----------------------------------------------------------------------

    def deliver_user(self, user_id: str, data: bytes, seq: int, sender: str = "") -> None:
        conns = self.by_user.get(user_id)
        if conns:
            for conn in tuple(conns):
                if not sender or not conn.blocks.hides(sender):
                    conn.deliver(data, seq)
            self.metrics.delivered += len(conns)

    def deliver_channel(self, channel_id: str, data: bytes, seq: int, sender: str = "") -> None:
        conns = self.by_channel.get(channel_id)
        if conns:
            for conn in tuple(conns):
                if not sender or not (conn.user_id == sender or conn.blocks.hides(sender)):
                    conn.deliver_large(channel_id, data, seq)
            self.metrics.delivered += len(conns)

    def control(self, user_id: str, event: Control) -> None:
        if isinstance(event, DeviceRevoked):
            for conn in tuple(self.by_device.get(event.device_id, ())):
                conn.close(CloseCode.UNAUTHORIZED, "token revoked")
        elif isinstance(event, ChannelJoined):
            for conn in tuple(self.by_user.get(user_id, ())):
                if event.large:
                    self.join_channel(conn, event.channel_id)
        elif isinstance(event, ForDevice):
            for conn in tuple(self.by_device.get(event.device_id, ())):
                conn.deliver(event.data, 0)
        elif isinstance(event, BlockChanged):
            for conn in tuple(self.by_user.get(user_id, ())):
                conn.blocks.apply(user_id, event)
        elif isinstance(event, ChannelLeft):
            for conn in tuple(self.by_user.get(user_id, ())):
                self.leave_channel(conn, event.channel_id)
                conn.forget_group(event.channel_id)

    # -- shutdown ----------------------------------------------------------------------

    async def drain(self, seconds: float) -> None:
        """Close every socket with 1001, spread over `seconds` so clients do not all
        reconnect at the same instant."""
        self.accepting = False
        conns = list(self.sockets)
        if not conns:
            return
        step = seconds / len(conns) if seconds > 0 else 0.0
        for conn in conns:
            conn.close(CloseCode.GOING_AWAY, "server going away; reconnect")
            if step:
                await asyncio.sleep(step)
        for _ in range(50):
            if not self.sockets:
                break
            await asyncio.sleep(0.05)

    @property
    def connection_count(self) -> int:
        return len(self.sockets)
