"""Presence across processes: which users are online on which gateway, known everywhere.

Each gateway's tracker (presence/tracker.py) decides who is online *there*, with the
policy's grace and timeout. This module shares those per-gateway sets so that every
process (gateway, api, push) answers lookups for the whole cluster:

- A gateway sends its changes as numbered batches, and every `beat_interval` a beat with
  its epoch (new at each start), the number of its last batch and whether it is ready.
  A process that missed a batch sees the gap (in the next batch or beat) and fetches that
  gateway's snapshot; a process that starts asks every gateway to beat at once.
- A user is online while any live gateway has them. A gateway not heard from for
  `timeout` seconds is dead and its users leave the directory, so a gateway killed
  outright takes its users offline within the presence timeout. While this process is
  itself cut off from NATS nobody is expired: silence then says nothing about the others.
- A change of a user's cluster-wide state is announced (fan-out to friends) by exactly one
  process, the user's owner: the ready, live gateway that consistent hashing picks for
  the user. Moving between gateways within the grace period changes nothing, so no
  duplicate and no flap. While gateways join or die an announcement may be repeated, or
  missed if the owner died unnoticed; lookups stay right regardless.

`Directory` is the pure state (a fake clock's `now` goes in); `ClusterPresence` wires it
to a `PresenceLink` (bus/nats_presence.py carries it over NATS) and to the tracker.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from chinwag.ids import new_id
from chinwag.presence.link import Batch, Beat, PresenceLink, Snapshot

log = logging.getLogger("chinwag.presence")

Flip = tuple[str, bool]
Step = tuple[list[Flip], bool]
Transition = Callable[[str, bool], None]

# Beats are frequent enough to notice a dead gateway well within the timeout, and never
# rarer than this so that a starting process learns the cluster quickly.
MAX_BEAT_INTERVAL = 5.0
MAX_BATCH = 2_000
MAX_EARLY_BATCHES = 64
# Points per gateway on the owners' ring: enough to share users out evenly.
RING_POINTS = 128


@dataclass
class _Peer:
    epoch: str
    heard: float
    seq: int = 0
    ready: bool = False
    users: set[str] = field(default_factory=set)
    syncing_since: float | None = None
    # Batches past a gap, kept while the snapshot is on its way.
    early: dict[int, Batch] = field(default_factory=dict)


class Directory:
    """Who is online on which gateway, as this process knows it. Pure: every method
    takes `now` (monotonic seconds) and returns the users whose cluster-wide state
    flipped, plus, where it says so, whether that gateway's snapshot is needed."""

    def __init__(self, self_id: str | None, timeout: float) -> None:
        self.self_id = self_id
        self.timeout = timeout
        self._ready = False
        self._peers: dict[str, _Peer] = {}
        self._local: set[str] = set()
        # user -> number of gateways (this one included) that have the user online
        self._count: dict[str, int] = {}
        # The owners' hash ring, rebuilt when the set of ready gateways changes.
        self._ring: list[tuple[int, str]] | None = None

    @property
    def ready(self) -> bool:
        """Whether this gateway has joined and takes its share of announcing."""
        return self._ready

    @ready.setter
    def ready(self, value: bool) -> None:
        self._ready, self._ring = value, None

    def is_online(self, user_id: str) -> bool:
        return user_id in self._count

    def local_users(self) -> set[str]:
        return set(self._local)

    def local(self, user_id: str, online: bool) -> list[Flip]:
        """This gateway's tracker changed its mind about a user."""
        flips: list[Flip] = []
        if online and user_id not in self._local:
            self._local.add(user_id)
            self._add(user_id, flips)
        elif not online and user_id in self._local:
            self._local.discard(user_id)
            self._remove(user_id, flips)
        return flips

    def batch(self, gateway_id: str, batch: Batch, now: float) -> Step:
        flips: list[Flip] = []
        peer = self._peer(gateway_id, batch.epoch, now, flips)
        if batch.seq <= peer.seq:
            return flips, False
        if batch.seq == peer.seq + 1 and peer.syncing_since is None:
            self._apply(peer, batch, flips)
            return flips, False
        if len(peer.early) < MAX_EARLY_BATCHES:
            peer.early[batch.seq] = batch
        return flips, self._start_sync(peer, now)

    def beat(self, gateway_id: str, beat: Beat, now: float) -> Step:
        flips: list[Flip] = []
        peer = self._peer(gateway_id, beat.epoch, now, flips)
        if peer.ready != beat.ready:
            peer.ready, self._ring = beat.ready, None
        # Beats and batches of one gateway travel in order: a higher seq means a loss.
        return flips, beat.seq > peer.seq and self._start_sync(peer, now)

    def snapshot(self, gateway_id: str, snap: Snapshot, now: float) -> Step:
        flips: list[Flip] = []
        peer = self._peers.get(gateway_id)
        if peer is not None and (peer.epoch != snap.epoch or snap.seq < peer.seq):
            # The gateway restarted since it answered, or the answer is older than what
            # was applied: wait for the next beat to say what is needed.
            peer.syncing_since = None
            return flips, False
        peer = self._peer(gateway_id, snap.epoch, now, flips)
        new = set(snap.users)
        for user_id in peer.users - new:
            self._remove(user_id, flips)
        for user_id in new - peer.users:
            self._add(user_id, flips)
        peer.users, peer.seq, peer.syncing_since = new, snap.seq, None
        early, peer.early = peer.early, {}
        for seq in sorted(early):
            if seq == peer.seq + 1:
                self._apply(peer, early[seq], flips)
            elif seq > peer.seq:
                return flips, self._start_sync(peer, now)
        return flips, False

    def expire(self, now: float) -> list[Flip]:
        flips: list[Flip] = []
        for gateway_id, peer in list(self._peers.items()):
            if now - peer.heard > self.timeout:
                log.info("gateway %s went silent; its users leave presence", gateway_id)
                self._drop(gateway_id, flips)
        return flips

    def touch(self, now: float) -> None:
        """Count every gateway as just heard (this process was the one cut off)."""
        for peer in self._peers.values():
            peer.heard = now

    def stalled(self, now: float, retry: float) -> list[str]:
        """Gateways whose snapshot is overdue; they count as requested again now."""
        out = []
        for gateway_id, peer in self._peers.items():
            if peer.syncing_since is not None and now - peer.syncing_since >= retry:
                peer.syncing_since = now
                out.append(gateway_id)
        return out

    def owner(self, user_id: str) -> str | None:
        """The gateway that announces this user's changes: consistent hashing over the
        ready gateways, so when one joins or leaves only the users it takes or held
        change owner, and a gateway's death costs one lookup per user, not one per
        user and gateway."""
        ring = self._ring
        if ring is None:
            ready = [gw for gw, p in self._peers.items() if p.ready]
            if self.self_id is not None and self._ready:
                ready.append(self.self_id)
            ring = self._ring = sorted(
                (_hash(f"{gw}#{i}"), gw) for gw in ready for i in range(RING_POINTS)
            )
        if not ring:
            return None
        i = bisect.bisect_left(ring, (_hash(user_id), ""))
        return ring[i % len(ring)][1]

    def _peer(self, gateway_id: str, epoch: str, now: float, flips: list[Flip]) -> _Peer:
        peer = self._peers.get(gateway_id)
        if peer is None or peer.epoch != epoch:
            if peer is not None:
                # Restarted: the sockets of its previous run are gone.
                self._drop(gateway_id, flips)
            peer = self._peers[gateway_id] = _Peer(epoch, now)
            self._ring = None
        peer.heard = now
        return peer

    @staticmethod
    def _start_sync(peer: _Peer, now: float) -> bool:
        """Mark a snapshot as wanted; True if it was not already."""
        if peer.syncing_since is not None:
            return False
        peer.syncing_since = now
        return True

    def _apply(self, peer: _Peer, batch: Batch, flips: list[Flip]) -> None:
        for user_id in batch.off:
            if user_id in peer.users:
                peer.users.discard(user_id)
                self._remove(user_id, flips)
        for user_id in batch.on:
            if user_id not in peer.users:
                peer.users.add(user_id)
                self._add(user_id, flips)
        peer.seq = batch.seq

    def _drop(self, gateway_id: str, flips: list[Flip]) -> None:
        peer = self._peers.pop(gateway_id)
        self._ring = None
        for user_id in peer.users:
            self._remove(user_id, flips)

    def _add(self, user_id: str, flips: list[Flip]) -> None:
        n = self._count.get(user_id, 0)
        self._count[user_id] = n + 1
        if n == 0:
            flips.append((user_id, True))

    def _remove(self, user_id: str, flips: list[Flip]) -> None:
        n = self._count.get(user_id, 0) - 1
        if n > 0:
            self._count[user_id] = n
        elif self._count.pop(user_id, None) is not None:
            flips.append((user_id, False))


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest())


class ClusterPresence:
    """This process's part in cluster presence. On a gateway it is the tracker's
    transition callback; on every process it answers `is_online` for the cluster."""

    def __init__(
        self,
        link: PresenceLink,
        gateway_id: str | None,
        timeout: float,
        announce: Transition,
        monotonic: Callable[[], float],
        *,
        settle: float = 0.3,
        sync_timeout: float = 5.0,
    ) -> None:
        self._link = link
        self.gateway_id = gateway_id
        self._announce = announce
        self._monotonic = monotonic
        self._settle = settle
        self._sync_timeout = sync_timeout
        self.directory = Directory(gateway_id, timeout)
        self.epoch = new_id("e")
        self.beat_interval = min(timeout / 4, MAX_BEAT_INTERVAL)
        self._seq = 0
        self._pending: dict[str, bool] = {}
        self._flush_handle: asyncio.Handle | None = None
        self._last_beat = float("-inf")
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetches: set[asyncio.Task[None]] = set()
        self.announced = 0

    async def start(self) -> None:
        """Join: ask every gateway to beat, fetch the snapshots that calls for, and
        only then take a share of announcing (so nothing is announced twice)."""
        await self._link.start(self)
        self._spawn(self._run())
        self._link.send_hello()
        await asyncio.sleep(self._settle)
        if self._fetches:
            await asyncio.wait(set(self._fetches), timeout=self._sync_timeout)
        self.directory.ready = True
        self._beat()

    async def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            # Bounded: a cancellation may be swallowed inside the NATS client.
            await asyncio.wait(set(self._tasks), timeout=2.0)
        await self._link.close()

    def is_online(self, user_id: str) -> bool:
        return self.directory.is_online(user_id)

    def local_changed(self, user_id: str, online: bool) -> None:
        """The local tracker's transition callback."""
        self._emit(self.directory.local(user_id, online))
        if self.gateway_id is None:
            return
        self._pending[user_id] = online
        if self._flush_handle is None:
            # One batch per turn of the event loop: a burst of connects is one message.
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    # -- PresencePeer ------------------------------------------------------------------

    def on_batch(self, gateway_id: str, batch: Batch) -> None:
        if gateway_id != self.gateway_id:
            self._step(gateway_id, self.directory.batch(gateway_id, batch, self._monotonic()))

    def on_beat(self, gateway_id: str, beat: Beat) -> None:
        if gateway_id != self.gateway_id:
            self._step(gateway_id, self.directory.beat(gateway_id, beat, self._monotonic()))

    def on_hello(self) -> None:
        if self._monotonic() - self._last_beat >= 0.05:
            self._beat()

    def on_reconnect(self) -> None:
        self.directory.touch(self._monotonic())
        self._link.send_hello()
        if self.gateway_id is not None:
            self._beat()

    def snapshot(self) -> Snapshot:
        self._flush()  # so that `seq` covers every change the users include
        return Snapshot(self.epoch, self._seq, sorted(self.directory.local_users()))

    # -- internals ---------------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_handle = None
        if not self._pending:
            return
        items, self._pending = list(self._pending.items()), {}
        for i in range(0, len(items), MAX_BATCH):
            part = items[i : i + MAX_BATCH]
            self._seq += 1
            on = [u for u, online in part if online]
            off = [u for u, online in part if not online]
            self._link.send_batch(Batch(self.epoch, self._seq, on, off))

    def _beat(self) -> None:
        if self.gateway_id is None:
            return
        self._flush()
        self._last_beat = self._monotonic()
        self._link.send_beat(Beat(self.epoch, self._seq, self.directory.ready))

    def _step(self, gateway_id: str, step: Step) -> None:
        flips, need_snapshot = step
        self._emit(flips)
        if need_snapshot:
            self._fetch_soon(gateway_id)

    def _emit(self, flips: list[Flip]) -> None:
        if self.gateway_id is None or not self.directory.ready:
            return
        for user_id, online in flips:
            if self.directory.owner(user_id) == self.gateway_id:
                self.announced += 1
                self._announce(user_id, online)

    def _fetch_soon(self, gateway_id: str) -> None:
        self._fetches.add(self._spawn(self._fetch(gateway_id)))

    async def _fetch(self, gateway_id: str) -> None:
        snap = await self._link.fetch_snapshot(gateway_id)
        if snap is not None:
            self._step(gateway_id, self.directory.snapshot(gateway_id, snap, self._monotonic()))

    async def _run(self) -> None:
        step = min(self.beat_interval / 2, 0.25)
        retry = max(1.0, 2 * self.beat_interval)
        while True:
            await asyncio.sleep(step)
            try:
                now = self._monotonic()
                if self._link.connected:
                    self._emit(self.directory.expire(now))
                else:
                    self.directory.touch(now)
                for gateway_id in self.directory.stalled(now, retry):
                    self._fetch_soon(gateway_id)
                if now - self._last_beat >= self.beat_interval:
                    self._beat()
            except Exception:
                log.exception("cluster presence tick failed")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._fetches.discard)
        return task
