"""The one place that wires chinwag together: storage, bus, services, API and gateway.

`App(settings)` builds everything for the roles this process runs. Tests use it too,
with their own settings and clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette

from chinwag.accounts.passwords import Passwords
from chinwag.accounts.service import AccountService, LoginLimits
from chinwag.api import app as api_app
from chinwag.api.metrics import Metrics
from chinwag.api.static import web_dir
from chinwag.bus.base import Bus
from chinwag.bus.local import LocalBus
from chinwag.channels.service import ChannelService, GroupLimits
from chinwag.clock import Clock, SystemClock
from chinwag.config import Settings
from chinwag.discovery.address import bound_url, is_wildcard
from chinwag.discovery.registrar import Registration
from chinwag.discovery.service import Discovery, GatewayInfo, LocalRegistry, Registry
from chinwag.e2ee.models import KeyLimits
from chinwag.e2ee.service import E2eeService
from chinwag.friends.service import FriendService
from chinwag.ids import new_id
from chinwag.media.blobs import BlobStore
from chinwag.media.service import MediaLimits, MediaService
from chinwag.messaging.changes import ChangeService
from chinwag.messaging.service import MessagingService, SendLimits
from chinwag.presence.cluster import ClusterPresence
from chinwag.presence.policy import Timings
from chinwag.presence.service import PresenceService
from chinwag.presence.tracker import PresenceTracker
from chinwag.push.guard import Resolver, system_resolver
from chinwag.push.keys import PushKeys, load_push_keys
from chinwag.push.senders import address_guard
from chinwag.push.service import PushService
from chinwag.push.worker import PushWorker
from chinwag.safety.admin import AdminService
from chinwag.safety.blocks import BlockService
from chinwag.safety.lifecycle import Gate, LifecycleService, Stores
from chinwag.safety.mutes import MuteService
from chinwag.safety.reports import ReportService
from chinwag.safety.revocations import RevocationWatch
from chinwag.services import Services
from chinwag.store.base import Store

log = logging.getLogger("chinwag.app")


def build_store(settings: Settings) -> Store:
    if settings.uses_postgres:
        from chinwag.store.postgres.store import PostgresStore

        return PostgresStore(
            settings.store,
            replica_url=settings.store_replica,
            replica_max_wait=settings.store_replica_wait,
        )
    from chinwag.store.sqlite.store import SqliteStore

    return SqliteStore(settings.sqlite_path, wal_limit=settings.wal_limit_mb << 20)


async def migrate(settings: Settings) -> list[str]:
    """Apply the configured store's pending migrations; the names of those applied."""
    if settings.uses_postgres:
        from chinwag.store.postgres.migrate import migrate_and_prepare

        return await migrate_and_prepare(settings.store)
    from chinwag.store.sqlite.store import migrate_file

    return migrate_file(settings.sqlite_path)


def build_bus(settings: Settings) -> Bus:
    if settings.nats:
        from chinwag.bus.nats import NatsBus
        from chinwag.bus.subjects import Subjects

        return NatsBus(
            settings.nats,
            name=f"chinwag-{settings.role}",
            subjects=Subjects(settings.cluster_name),
        )
    return LocalBus()


@contextlib.asynccontextmanager
async def open_admin(settings: Settings) -> AsyncIterator[tuple[Any, AdminService]]:
    """For `chinwag admin`: (accounts store, AdminService) on the configured store and
    bus, beside any running server."""
    from chinwag.bus.local import LocalBus

    bus: Any = LocalBus()
    accounts: Any
    safety: Any
    keys: Any
    if settings.nats:
        bus = build_bus(settings)
    if settings.uses_postgres:
        from chinwag.store.postgres.store import PostgresStore

        pg = PostgresStore(settings.store)
        await pg.start()
        accounts, safety, keys, close = pg.accounts, pg.safety, pg.keys, pg.close
    else:
        # Not SqliteStore: that takes the data dir's lock, held by a running server.
        # These few row updates are safe beside it (SQLite serialises writers).
        from chinwag.store.sqlite.accounts import SqliteAccounts
        from chinwag.store.sqlite.db import Database
        from chinwag.store.sqlite.keys import SqliteKeys
        from chinwag.store.sqlite.safety import SqliteSafety
        from chinwag.store.sqlite.store import migrate_file

        migrate_file(settings.sqlite_path)
        db = Database(settings.sqlite_path)
        db.start(asyncio.get_running_loop())
        accounts, safety, keys, close = (
            SqliteAccounts(db),
            SqliteSafety(db),
            SqliteKeys(db),
            db.close,
        )
    await bus.start()
    # On the cluster bus the command tells about the devices itself; beside a server
    # with no bus, the server's revocation watch does.
    clock = SystemClock()
    lists = E2eeService(keys, bus, clock, KeyLimits()) if settings.nats else None
    try:
        yield accounts, AdminService(safety, bus, clock, lists)
    finally:
        await bus.close()
        await close()


def build_blobs(settings: Settings) -> BlobStore:
    if settings.blobs:
        from chinwag.blobs.s3 import S3Blobs, S3Settings, parse_s3_url

        bucket, prefix = parse_s3_url(settings.blobs)
        return S3Blobs(
            S3Settings(
                bucket,
                prefix,
                settings.s3_endpoint,
                settings.s3_region,
                settings.s3_access_key,
                settings.s3_secret_key,
            )
        )
    from chinwag.blobs.directory import DirectoryBlobs

    return DirectoryBlobs(settings.blobs_path)


class App:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        resolver: Resolver | None = None,
        tune_gc: bool = False,
    ) -> None:
        """`resolver` answers the DNS questions of push's address guard (tests give one
        that needs no outside DNS); `tune_gc` is for a server process only."""
        self.settings = settings
        self._tune_gc = tune_gc
        self.clock = clock or SystemClock()
        self.push_guard = address_guard(settings, resolver or system_resolver)
        self.gateway_id = settings.gateway_id or new_id("g")
        self.metrics = Metrics()
        self.services: Services | None = None
        self.hub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._notices: set[asyncio.Task[None]] = set()
        self._passwords: Passwords | None = None
        self._cluster: ClusterPresence | None = None
        self._registration: Registration | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._bound = (settings.host, settings.port)
        self.asgi: Starlette = api_app.build(
            self._lifespan, self.metrics, web_dir=web_dir(settings.web_dir)
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await self.start()
        app.state.services = self.services
        try:
            yield {"chinwag_hub": self.hub}
        finally:
            await self.stop()

    async def start(self) -> None:
        s, clock = self.settings, self.clock
        store = build_store(s)
        await store.start()
        # Engines count things of their own (SQLite: commits and the log; PostgreSQL:
        # batches and replica reads).
        for name, help_, read in store.gauges():
            self.metrics.gauge(name, help_, read)
        bus = build_bus(s)
        await bus.start()
        self._passwords = Passwords(time_cost=s.argon2_time_cost, memory_kib=s.argon2_memory_kib)
        accounts = AccountService(
            store.accounts,
            self._passwords,
            bus,
            clock,
            LoginLimits(
                s.login_per_account_per_min,
                s.login_per_address_per_min,
                s.signup_per_address_per_min,
            ),
            Gate(store.safety, clock),
        )
        blocks = BlockService(store.safety, store.accounts, bus, clock)
        friends = FriendService(store.friends, store.accounts, bus, clock, blocks.hidden_among)
        channels = ChannelService(
            store.channels,
            store.friends,
            bus,
            clock,
            GroupLimits(s.small_group_limit, s.max_group_size, s.typing_interval),
            blocks.hidden_among,
        )
        messaging = MessagingService(
            store.messages,
            bus,
            clock,
            SendLimits(s.max_text_chars, s.sends_per_user_per_sec, s.send_burst),
            store.attachments,
        )
        e2ee = E2eeService(store.keys, bus, clock, KeyLimits())
        channels.on_members_changed(
            lambda channel, user_id, joined: self._spawn(
                e2ee.members_changed(channel, user_id, joined)
            )
        )
        media = await self._start_media(store)
        presence = PresenceService(
            store.accounts,
            store.friends,
            store.channels,
            bus,
            clock,
            s.last_active_write_interval,
            blocks.hidden_among,
        )
        registry: Registry = LocalRegistry(self._local_gateway)
        if s.nats:
            registry = await self._start_cluster(bus, presence)
        # In the shared store (PostgreSQL), or the data dir (SQLite): the api role hands
        # out the VAPID public key and the push role signs with the private one.
        keys = await load_push_keys(store.secrets, s.data_path, s.webhook_secret)
        self.services = Services(
            settings=s,
            clock=clock,
            store=store,
            bus=bus,
            accounts=accounts,
            friends=friends,
            channels=channels,
            messaging=messaging,
            presence=presence,
            e2ee=e2ee,
            discovery=Discovery(registry, s.region),
            changes=ChangeService(
                store.messages,
                channels,
                bus,
                clock,
                max_text_chars=s.max_text_chars,
                attachments=store.attachments,
                keep_history=s.keep_edit_history,
            ),
            push=PushService(store.push, self.push_guard, clock, keys.vapid.public_key_b64url()),
            blocks=blocks,
            mutes=MuteService(store.safety, channels, clock),
            reports=ReportService(store.safety, channels, messaging, clock),
            # Without a cluster bus the revocation watch sends deactivation's device_lists.
            admin=AdminService(store.safety, bus, clock, e2ee if s.nats else None),
            lifecycle=LifecycleService(
                Stores(store.safety, store.friends, store.push, store.attachments),
                accounts,
                channels,
                bus,
                clock,
                username_hold_seconds=s.deleted_username_hold_days * 86_400,
                device_lists=e2ee,
            ),
            media=media,
        )
        self._start_push(store, bus, messaging, presence, keys)
        if s.runs("gateway"):
            from chinwag.gateway.hub import Hub

            tracker = PresenceTracker(
                Timings(s.presence_timeout, s.presence_grace),
                self._cluster.local_changed if self._cluster else presence.changed,
            )
            presence.tracker = self._cluster or tracker
            self.hub = Hub(
                s,
                self.gateway_id,
                clock,
                bus,
                accounts,
                channels,
                messaging,
                e2ee,
                presence,
                tracker,
                self.services.blocks,
            )
            self._tasks.append(asyncio.create_task(self._presence_ticks(tracker)))
            if not s.nats:
                # No bus to hear `chinwag admin` by: its deactivations come as notices.
                watch = RevocationWatch(store.safety, bus, device_lists=e2ee)
                await watch.start()
                self._tasks.append(asyncio.create_task(watch.run_forever()))
            self._register_gauges()
            if self._registration is not None:
                await self._registration.start()
        log.info(
            "started",
            extra={"role": s.role, "gateway_id": self.gateway_id, "store": type(store).__name__},
        )
        if self._tune_gc:
            # What exists once started (modules, classes, the wiring above) lives as long
            # as the process. Out of the collector's sight, its full collections stop
            # walking it again and again: they took ~45 ms each, one every ~10,000
            # messages (~5 us a message, and a 45 ms stall of the event loop each time).
            # And a batch of commits briefly allocates thousands of objects that are
            # freed moments later; at the default threshold (700) each batch set off
            # young collections for nothing (1,900 per 150,000 messages; at 7,000: 17).
            # Only for a server process: in a test process, apps come and go.
            gc.freeze()
            gc.set_threshold(7_000, 10, 10)

    async def _start_media(self, store: Store) -> MediaService:
        """Uploads: blobs in the data dir or S3, records in the store, and the sweep of
        uploads that no message carries."""
        s = self.settings
        blobs = build_blobs(s)
        await blobs.start()
        media = MediaService(
            store.attachments,
            blobs,
            self.clock,
            MediaLimits(s.max_upload_bytes, s.max_image_pixels, s.unsent_upload_ttl),
            s.data_path / "spool",
        )
        await media.start()
        self._closers.append(blobs.close)
        self._closers.append(media.close)
        if s.runs("api"):
            self._tasks.append(asyncio.create_task(media.sweep_forever(s.upload_sweep_interval)))
        return media

    def _start_push(
        self,
        store: Store,
        bus: Bus,
        messaging: MessagingService,
        presence: PresenceService,
        keys: PushKeys,
    ) -> None:
        """Push: a trigger where messages are stored, a worker where the push role runs."""
        from chinwag.push.senders import build_senders, worker_settings
        from chinwag.push.trigger import PushTrigger

        s = self.settings
        assert self.services is not None  # built just before
        if s.runs("api") or s.runs("gateway"):
            trigger = PushTrigger(
                bus,
                store.accounts,
                presence.is_online,
                self.clock.monotonic,
                grace=s.presence_grace,
                include_text=s.push_include_text,
                muted=self.services.mutes.is_muted,
            )
            messaging.on_stored(trigger.on_stored)
            assert self.services is not None
            self.services.changes.on_deleted(trigger.on_deleted)
            trigger.start()
            self._closers.append(trigger.close)
        if s.runs("push"):
            worker = PushWorker(
                store.push,
                build_senders(
                    s.replace(webhook_secret=keys.webhook_secret.decode()),
                    s.data_path,
                    vapid=keys.vapid,
                    guard=self.push_guard,
                ),
                monotonic=self.clock.monotonic,
                settings=worker_settings(s),
            )
            worker.start()
            bus.on_push(lambda data: receive_push(worker, data))
            self._closers.append(worker.close)

    async def _start_cluster(self, bus: Bus, presence: PresenceService) -> Registry:
        """Many processes over NATS: gateways registered in a JetStream key-value bucket
        (or ZooKeeper, with --registry zookeeper://...), presence shared by every
        process. A gateway silent for `registry_ttl` (the ZooKeeper session timeout) is
        gone for discovery."""
        from chinwag.bus.nats import NatsBus
        from chinwag.bus.nats_presence import NatsPresenceLink
        from chinwag.discovery.address import ZOOKEEPER_SCHEME, parse_zookeeper_url
        from chinwag.discovery.nats_registry import NatsRegistry
        from chinwag.discovery.zookeeper_registry import ZooKeeperRegistry
        from chinwag.ids import is_token

        s = self.settings
        assert isinstance(bus, NatsBus)
        if not is_token(self.gateway_id):
            raise ValueError("gateway_id may hold only letters, digits, '_' and '-'")
        self.metrics.gauge(
            "chinwag_bus_dropped_total", "Bus messages dropped.", lambda: bus.stats.dropped
        )
        registry: NatsRegistry | ZooKeeperRegistry
        if s.registry.startswith(ZOOKEEPER_SCHEME):
            address = parse_zookeeper_url(s.registry, "/" + s.cluster_name)
            registry = ZooKeeperRegistry(
                address.hosts, address.root, session_timeout=s.registry_ttl
            )
            await registry.start()
            self._closers.append(registry.close)
        else:
            registry = NatsRegistry(
                bus.client, ttl=s.registry_ttl, bucket=bus.subjects.gateways_bucket
            )
            await registry.start()
        gateway_id = self.gateway_id if s.runs("gateway") else None
        self._cluster = ClusterPresence(
            NatsPresenceLink(bus, gateway_id),
            gateway_id,
            s.presence_timeout,
            presence.changed,
            self.clock.monotonic,
        )
        await self._cluster.start()
        presence.tracker = self._cluster
        if gateway_id is not None:
            self._registration = Registration(registry, self._local_gateway, registry.ttl / 3)
        return registry

    def _spawn(self, work: Awaitable[None]) -> None:
        """Run notices that follow a committed change without holding up its caller."""

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("a follow-up notice failed")

        task = asyncio.create_task(run())
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    def listening(self, host: str, port: int) -> None:
        """Where the server bound this process (the port is known only then, when 0 was
        asked for); called before start."""
        self._bound = (host, port)

    @property
    def gateway_url(self) -> str:
        """The URL this gateway advertises: --public-url, or in a cluster the address
        it is bound to, never whatever address a request for discovery came in on. A
        single process answers discovery for itself, so it leaves the URL empty and
        the answer takes the address the client used (which also works behind a proxy)."""
        s = self.settings
        if s.public_url:
            return s.public_url
        host, port = self._bound
        if not s.nats or is_wildcard(host):  # a wildcard cluster gateway cannot start
            return ""
        return bound_url(host, port)

    def _local_gateway(self) -> GatewayInfo | None:
        if self.hub is None:
            return None
        s = self.settings
        return GatewayInfo(
            self.gateway_id, self.gateway_url, s.region, self.hub.connection_count, s.capacity
        )

    def _register_gauges(self) -> None:
        hub = self.hub
        self.metrics.gauge(
            "chinwag_ws_connections", "Open WebSockets.", lambda: hub.connection_count
        )
        self.metrics.gauge(
            "chinwag_ws_delivered_total", "Frames delivered.", lambda: hub.metrics.delivered
        )
        self.metrics.gauge(
            "chinwag_ws_slow_closes_total",
            "Sockets cut off as too slow.",
            lambda: hub.metrics.slow_closes,
        )
        assert self.services is not None
        presence = self.services.presence
        self.metrics.gauge(
            "chinwag_presence_changes_total", "Presence transitions.", lambda: presence.changes
        )
        self.metrics.gauge("chinwag_users_online", "Users online here.", lambda: len(hub.by_user))

    async def _presence_ticks(self, tracker: PresenceTracker) -> None:
        step = max(
            0.05, min(1.0, self.settings.presence_grace / 4, self.settings.presence_timeout / 10)
        )
        while True:
            await asyncio.sleep(step)
            try:
                tracker.tick(self.clock.monotonic())
            except Exception:
                log.exception("presence tick failed")

    async def stop(self) -> None:
        if self.hub is not None:
            if self._registration is not None:
                # Out of discovery first, so that clients leaving go elsewhere.
                await self._registration.stop()
            await self.hub.drain(self.settings.drain_seconds)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for close in reversed(self._closers):
            try:
                await close()
            except Exception:
                log.exception("error while stopping")
        self._closers.clear()
        if self.services is not None:
            if self._cluster is not None:
                await self._cluster.close()
            await self.services.presence.close()
            await self.services.bus.close()
            await self.services.store.close()
        if self._passwords is not None:
            self._passwords.close()
        log.info("stopped")


def receive_push(worker: PushWorker, data: bytes) -> None:
    """A push event from the bus to the worker; malformed events are logged and dropped."""
    import msgspec

    from chinwag.push.notification import Notification
    from chinwag.push.trigger import PushEvent

    try:
        event = msgspec.json.decode(data, type=PushEvent)
    except msgspec.MsgspecError:
        log.warning("dropping a malformed push event")
        return
    worker.notify(
        event.user_id,
        Notification(
            event.channel_id,
            event.sender_id,
            event.sender_name,
            event.count,
            event.text,
            event.media,
        ),
    )
