"""Carries cluster presence (presence/cluster.py) over NATS core subjects.

    <ns>.presence.<gateway_id>            a gateway's batches and beats, in send order
    <ns>.presence-snapshot.<gateway_id>   ask a gateway for its snapshot; it answers in
                                             parts (each under max_payload) on the reply
    <ns>.presence-hello                   a process has started: gateways beat at once

Every process subscribes to every gateway's batches and beats; only gateways answer
snapshot requests and hellos. Sends go through the bus's bounded queue (never blocking,
dropped when full); a lost batch shows as a gap in sequence numbers and is repaired by a
snapshot, a lost beat only delays that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from chinwag.bus.nats import NatsBus
from chinwag.presence.link import Batch, Beat, PresencePeer, Snapshot

log = logging.getLogger("chinwag.presence")


class _Part(msgspec.Struct, frozen=True):
    epoch: str
    seq: int
    part: int
    parts: int
    users: list[str]


_encoder = msgspec.json.Encoder()
_updates = msgspec.json.Decoder(Batch | Beat)
_parts = msgspec.json.Decoder(_Part)


def split(snap: Snapshot, budget: int) -> list[_Part]:
    """A snapshot in parts of at most about `budget` bytes each (at least one part)."""
    groups: list[list[str]] = [[]]
    size = 0
    for user_id in snap.users:
        cost = len(user_id) + 3
        if groups[-1] and size + cost > budget:
            groups.append([])
            size = 0
        groups[-1].append(user_id)
        size += cost
    return [_Part(snap.epoch, snap.seq, i, len(groups), g) for i, g in enumerate(groups)]


class NatsPresenceLink:
    def __init__(self, bus: NatsBus, gateway_id: str | None, *, timeout: float = 5.0) -> None:
        self._bus = bus
        self._gateway_id = gateway_id
        self._timeout = timeout
        self._peer: PresencePeer | None = None
        self._subs: list[Subscription] = []

    @property
    def connected(self) -> bool:
        return self._bus.connected

    async def start(self, peer: PresencePeer) -> None:
        self._peer = peer
        nc = self._bus.client
        subjects = self._bus.subjects
        self._subs.append(await nc.subscribe(subjects.presence_updates + "*", cb=self._on_update))
        if self._gateway_id is not None:
            self._subs.append(
                await nc.subscribe(subjects.presence_snapshot + self._gateway_id, cb=self._on_ask)
            )
            self._subs.append(await nc.subscribe(subjects.presence_hello, cb=self._on_hello))
        self._bus.on_reconnect(peer.on_reconnect)
        # The subscriptions are in effect before the first hello goes out.
        await nc.flush(timeout=int(self._timeout))

    async def close(self) -> None:
        self._peer = None
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()

    def send_batch(self, batch: Batch) -> None:
        self._send(_encoder.encode(batch))

    def send_beat(self, beat: Beat) -> None:
        self._send(_encoder.encode(beat))

    def send_hello(self) -> None:
        self._bus.publish(self._bus.subjects.presence_hello, b"")

    def _send(self, payload: bytes) -> None:
        if self._gateway_id is not None:
            self._bus.publish(self._bus.subjects.presence_updates + self._gateway_id, payload)

    async def fetch_snapshot(self, gateway_id: str) -> Snapshot | None:
        """The gateway's snapshot, or None if it does not answer in time."""
        nc = self._bus.client
        sub: Subscription | None = None
        try:
            inbox = nc.new_inbox()
            sub = await nc.subscribe(inbox)
            await nc.publish(self._bus.subjects.presence_snapshot + gateway_id, b"", reply=inbox)
            deadline = asyncio.get_running_loop().time() + self._timeout
            parts: dict[int, _Part] = {}
            while True:
                left = deadline - asyncio.get_running_loop().time()
                msg = await sub.next_msg(timeout=max(left, 0.001))
                if not msg.data:
                    return None  # "no responders": the gateway is gone
                part = _parts.decode(msg.data)
                parts[part.part] = part
                if len(parts) == part.parts:
                    break
        except Exception as exc:
            log.debug("no snapshot from %s: %r", gateway_id, exc)
            return None
        finally:
            if sub is not None:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
        ordered = [parts[i] for i in sorted(parts)]
        first = ordered[0]
        users = [u for p in ordered for u in p.users]
        return Snapshot(first.epoch, first.seq, users)

    async def _on_update(self, msg: Msg) -> None:
        peer = self._peer
        if peer is None:
            return
        gateway_id = msg.subject[len(self._bus.subjects.presence_updates) :]
        try:
            update = _updates.decode(msg.data)
        except msgspec.DecodeError:
            log.warning("ignoring a malformed presence update from %s", gateway_id)
            return
        if isinstance(update, Batch):
            peer.on_batch(gateway_id, update)
        else:
            peer.on_beat(gateway_id, update)

    async def _on_ask(self, msg: Msg) -> None:
        peer = self._peer
        if peer is None or not msg.reply:
            return
        budget = max(1024, self._bus.client.max_payload // 2)
        for part in split(peer.snapshot(), budget):
            self._bus.publish(msg.reply, _encoder.encode(part))

    async def _on_hello(self, msg: Msg) -> None:
        if self._peer is not None:
            self._peer.on_hello()
