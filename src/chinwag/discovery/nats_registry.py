"""The gateway registry in a NATS JetStream key-value bucket with a TTL.

One key per gateway (its id) holding its public URL, region, connection count and
capacity as JSON. The bucket's max age is the TTL: JetStream itself removes an entry
that was not put again within it, so a gateway that dies drops out with nobody cleaning
up after it; a gateway that stops on purpose deletes its entry. History is 1.

The bucket is created on first use. If it already exists with another configuration
(an operator made it with three replicas, say) it is used as it is.

Reading (`gateways()`) lists the bucket at most every `staleness` seconds and answers
from that snapshot in between, so a login costs no NATS round trip. When NATS cannot be
reached the last snapshot keeps being answered: an old list is better than none, since
a client tries the next gateway when one does not answer.

Satisfies `discovery.service.Registry` (reading) and `discovery.registrar.Registrar`
(writing).
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client
from nats.js.errors import BadRequestError, KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from chinwag.discovery.entry import decode, encode
from chinwag.discovery.service import GatewayInfo

log = logging.getLogger("chinwag.discovery")

BUCKET = "chinwag_gateways"
# JetStream API calls are small; a slow answer means NATS is in trouble, not busy.
API_TIMEOUT = 2.0


class NatsRegistry:
    def __init__(
        self,
        client: Client,
        *,
        ttl: float,
        bucket: str = BUCKET,
        staleness: float | None = None,
    ) -> None:
        self._js = client.jetstream(timeout=API_TIMEOUT)
        self._ttl = ttl
        self._bucket = bucket
        self._staleness = ttl / 4 if staleness is None else staleness
        self._kv: KeyValue | None = None
        self._cached: list[GatewayInfo] | None = None
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def ttl(self) -> float:
        return self._ttl

    async def start(self) -> None:
        """Make sure the bucket exists (raising if JetStream cannot be reached)."""
        await self._open()

    async def _open(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self._js.create_key_value(
                    bucket=self._bucket,
                    description="chinwag gateways, for service discovery",
                    ttl=self._ttl,
                    history=1,
                    direct=True,
                )
            except BadRequestError:
                self._kv = await self._js.key_value(self._bucket)
                log.info("using the existing bucket %s as configured", self._bucket)
        return self._kv

    # -- Registrar ---------------------------------------------------------------------

    async def register(self, info: GatewayInfo) -> None:
        await self._put(info)

    async def refresh(self, info: GatewayInfo) -> None:
        await self._put(info)

    async def deregister(self, gateway_id: str) -> None:
        kv = await self._open()
        await kv.delete(gateway_id)

    async def _put(self, info: GatewayInfo) -> None:
        kv = await self._open()
        try:
            await kv.put(info.id, encode(info))
        except Exception:
            # Open (create) the bucket again next time, in case NATS lost it.
            self._kv = None
            raise

    # -- Registry ----------------------------------------------------------------------

    async def gateways(self) -> list[GatewayInfo]:
        if self._fresh() or (self._lock.locked() and self._cached is not None):
            # Fresh enough, or another request is already reading: answer at once.
            return self._cached or []
        async with self._lock:
            if not self._fresh():
                try:
                    self._cached = await self._read()
                    self._read_at = asyncio.get_running_loop().time()
                except Exception as exc:
                    log.warning("cannot read the gateway registry: %r", exc)
                    # Try again after half the usual wait, not on every request.
                    self._read_at = asyncio.get_running_loop().time() - self._staleness / 2
                    self._kv = None
        return self._cached or []

    def _fresh(self) -> bool:
        age = asyncio.get_running_loop().time() - self._read_at
        return age < self._staleness

    async def _read(self) -> list[GatewayInfo]:
        kv = await self._open()
        stream = await self._js.stream_info(f"KV_{self._bucket}", subjects_filter=">")
        prefix = f"$KV.{self._bucket}."
        keys = [s[len(prefix) :] for s in (stream.state.subjects or {}) if s.startswith(prefix)]
        found = await asyncio.gather(*(self._get(kv, key) for key in keys))
        return [info for info in found if info is not None]

    @staticmethod
    async def _get(kv: KeyValue, key: str) -> GatewayInfo | None:
        try:
            entry = await kv.get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None  # expired or deregistered since the listing
        return decode(entry.value) if entry.value else None
