"""A gateway keeping itself in the registry: the writing side of service discovery.

`Registrar` is what a registry backend implements for gateways to write to it (the NATS
JetStream key-value bucket in discovery/nats_registry.py, ephemeral nodes in
discovery/zookeeper_registry.py). Entries expire on their own when not refreshed (NATS)
or when the gateway's session ends (ZooKeeper), so a gateway that dies drops out; a
gateway that stops on purpose deletes its entry first.

`Registration` is backend-neutral: it registers, refreshes with the current connection
count every `every` seconds, and on `stop()` stops refreshing and deregisters, in that
order: a refresh in flight finishes first, so it cannot bring the entry back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from chinwag.discovery.service import GatewayInfo

log = logging.getLogger("chinwag.discovery")


class Registrar(Protocol):
    @property
    def ttl(self) -> float:
        """Seconds after which an entry that was not refreshed is gone."""
        ...

    async def register(self, info: GatewayInfo) -> None: ...

    async def refresh(self, info: GatewayInfo) -> None: ...

    async def deregister(self, gateway_id: str) -> None: ...


class Registration:
    def __init__(
        self, registrar: Registrar, info: Callable[[], GatewayInfo | None], every: float
    ) -> None:
        self._registrar = registrar
        self._info = info
        self._every = every
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._gateway_id: str | None = None

    async def start(self) -> None:
        """Register now (raising if the registry is unreachable), then keep refreshing."""
        info = self._current()
        await self._registrar.register(info)
        self._gateway_id = info.id
        self._task = asyncio.get_running_loop().create_task(self._refresh())
        self._task.add_done_callback(self._ended)
        log.info("registered", extra={"gateway_id": info.id, "url": info.url})

    async def stop(self, timeout: float = 5.0) -> None:
        task, self._task = self._task, None
        if task is not None:
            # Not task.cancel(): a cancellation can be swallowed inside the client
            # library mid-request, leaving the loop running.
            self._stopping.set()
            await asyncio.wait({task}, timeout=timeout)
            if not task.done():
                task.cancel()
        if self._gateway_id is not None:
            try:
                await self._registrar.deregister(self._gateway_id)
            except Exception:
                # The entry expires on its own within the TTL.
                log.warning("could not deregister; the entry will expire", exc_info=True)
            self._gateway_id = None

    def _ended(self, task: asyncio.Task[None]) -> None:
        # Refreshing ends only on stop(); anything else drops this gateway from discovery
        # within the TTL, and must be seen.
        if self._stopping.is_set():
            return
        reason = "cancelled" if task.cancelled() else repr(task.exception())
        log.error("registry refresh ended before stop: %s", reason)

    def _current(self) -> GatewayInfo:
        info = self._info()
        if info is None:
            raise RuntimeError("this process runs no gateway")
        return info

    async def _refresh(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._every)
            if self._stopping.is_set():
                return
            try:
                await self._registrar.refresh(self._current())
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                # Nothing cancelled this task: a client library cancelled a future of
                # its own under it. Giving up here would drop the gateway for good.
                log.warning("registry refresh failed: cancelled inside the client")
            except Exception as exc:
                # Keep trying: a refresh that lands before the TTL saves the entry, one
                # after it puts it back.
                log.warning("registry refresh failed: %r", exc)
