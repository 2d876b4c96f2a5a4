"""The gateway registry in Apache ZooKeeper: one ephemeral node per gateway.

Layout: `<root>/gateways/<gateway_id>`, each node holding the JSON the NATS registry
stores (id, url, region, connections, capacity). The node is ephemeral, so ZooKeeper
deletes it when the gateway's session ends: at once when the gateway stops, and
`session_timeout` after it was last heard from when it crashes, is killed or is cut off.
Nothing has to be refreshed to stay listed; a refresh writes only when the entry
changed (the connection count), so an idle cluster writes nothing.

Reading keeps a local copy of every entry, kept current by watches: one on the list of
gateways and one on each entry. `gateways()` answers from that copy without a round
trip, and keeps answering the last view while ZooKeeper cannot be reached (a client
tries the next gateway when one does not answer). The copy is made on the first call,
so a process that never answers discovery (a gateway behind which no client asks)
sets no watches: every write then notifies only the processes that read.

kazoo, the client, drops every watch when its connection drops; so after each
reconnection this registry reads the whole list again with new watches and, if the
session was lost on the way (ZooKeeper restarted without its data, or this process cut
off longer than the timeout), creates its own node again.

kazoo runs threads of its own. Whatever it reports is handed to the event loop with
`call_soon_threadsafe`; only the event loop touches this object's state.

Satisfies `discovery.service.Registry` (reading) and `discovery.registrar.Registrar`
(writing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import NodeExistsError, NoNodeError
from kazoo.protocol.states import EventType
from kazoo.retry import KazooRetry

from chinwag.discovery.entry import decode, encode
from chinwag.discovery.service import GatewayInfo

log = logging.getLogger("chinwag.discovery")

# One ZooKeeper request; a slower answer means ZooKeeper is in trouble, not busy.
API_TIMEOUT = 5.0
# After a failed read, the next try (a reconnection also triggers one at once).
RETRY_AFTER = 0.5


class ZooKeeperRegistry:
    def __init__(self, hosts: str, root: str, *, session_timeout: float) -> None:
        self._timeout = session_timeout
        self._dir = root.rstrip("/") + "/gateways"
        self._client = KazooClient(
            hosts=hosts,
            timeout=session_timeout,
            # Reconnect quickly and forever: the defaults back off up to a minute.
            connection_retry=KazooRetry(max_tries=-1, delay=0.1, backoff=2, max_delay=1.0),
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        # The local copy: entries by node name, and the names holding a data watch.
        self._entries: dict[str, GatewayInfo] = {}
        self._watched: set[str] = set()
        self._dirty: set[str] = set()  # node names to read again; "" for the list
        self._reconnected = False  # watches are gone; read everything again
        self._session_lost = False  # our node is gone too; create it again
        self._wake = asyncio.Event()
        self._follower: asyncio.Task[None] | None = None
        self._first_read = asyncio.Lock()
        self._closed = False
        # This process's own entry, and what was last written to it.
        self._mine: GatewayInfo | None = None
        self._written: bytes | None = None

    @property
    def ttl(self) -> float:
        """The session timeout: how long a gateway that stopped answering stays listed."""
        return self._timeout

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (raising if ZooKeeper cannot be reached) and make the directory."""
        self._loop = asyncio.get_running_loop()
        self._client.add_listener(self._on_state)
        await asyncio.to_thread(self._client.start, max(self._timeout, API_TIMEOUT))
        await self._call(self._client.ensure_path_async(self._dir))

    async def close(self) -> None:
        self._closed = True
        task, self._follower = self._follower, None
        if task is not None:
            # Told twice: by the flag, which it checks whenever it wakes, and by a
            # cancellation (which a read finishing at that very moment may swallow).
            self._wake.set()
            task.cancel()
            await asyncio.wait({task}, timeout=API_TIMEOUT)
        # Closing the session deletes our node at once (if deregister did not).
        await asyncio.to_thread(self._client.stop)
        self._client.close()

    # -- Registrar ---------------------------------------------------------------------

    async def register(self, info: GatewayInfo) -> None:
        self._mine = info
        await self._create(info)

    async def refresh(self, info: GatewayInfo) -> None:
        self._mine = info
        data = encode(info)
        if data == self._written:
            return
        try:
            await self._call(self._client.set_async(self._path(info.id), data))
            self._written = data
        except NoNodeError:
            await self._create(info)

    async def deregister(self, gateway_id: str) -> None:
        self._mine, self._written = None, None
        with contextlib.suppress(NoNodeError):
            await self._call(self._client.delete_async(self._path(gateway_id)))

    async def _create(self, info: GatewayInfo) -> None:
        path, data = self._path(info.id), encode(info)
        for _ in range(3):
            try:
                await self._call(self._client.create_async(path, data, ephemeral=True))
                self._written = data
                return
            except NoNodeError:  # the directory went (ZooKeeper lost its data)
                await self._call(self._client.ensure_path_async(self._dir))
            except NodeExistsError:
                stat = await self._call(self._client.exists_async(path))
                if stat is None:
                    continue  # its session just ended: create it now
                if stat.ephemeralOwner == self._client.client_id[0]:
                    await self._call(self._client.set_async(path, data))
                    self._written = data
                    return
                # Left by an earlier run of this gateway (same id) whose session has
                # not expired yet, or a second gateway given the same id by mistake.
                log.warning("replacing the registry entry %s of another session", info.id)
                with contextlib.suppress(NoNodeError):
                    await self._call(self._client.delete_async(path, stat.version))
        raise RuntimeError(f"could not create the registry entry {path}")

    def _path(self, gateway_id: str) -> str:
        return f"{self._dir}/{gateway_id}"

    # -- Registry ----------------------------------------------------------------------

    async def gateways(self) -> list[GatewayInfo]:
        if self._follower is None:
            async with self._first_read:
                if self._follower is None:
                    try:
                        await self._read({""})
                    except Exception as exc:
                        log.warning("cannot read the gateway registry: %r", exc)
                        self._dirty.add("")
                        self._wake.set()
                    self._follower = asyncio.get_running_loop().create_task(self._follow())
        return list(self._entries.values())

    # -- keeping the local copy --------------------------------------------------------

    async def _follow(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            if self._reconnected:
                self._reconnected = False
                self._watched.clear()
                self._dirty.add("")
            dirty, self._dirty = self._dirty, set()
            try:
                if self._session_lost:
                    self._session_lost = False
                    await self._call(self._client.ensure_path_async(self._dir))
                    if self._mine is not None:
                        self._written = None
                        await self._create(self._mine)
                await self._read(dirty)
            except Exception as exc:
                log.warning("cannot read the gateway registry: %r", exc)
                self._dirty |= dirty
                self._loop_later(RETRY_AFTER, self._wake.set)

    async def _read(self, dirty: set[str]) -> None:
        names = dirty - {""}
        if "" in dirty:
            children = await self._call(
                self._client.get_children_async(self._dir, watch=self._on_watch)
            )
            listed = set(children)
            for gone in set(self._entries) - listed:
                del self._entries[gone]
            self._watched &= listed
            names |= listed - self._watched
        if names:
            await asyncio.gather(*(self._read_entry(name) for name in names))

    async def _read_entry(self, name: str) -> None:
        try:
            data, _ = await self._call(
                self._client.get_async(self._path(name), watch=self._on_watch)
            )
        except NoNodeError:
            self._entries.pop(name, None)
            self._watched.discard(name)
            return
        self._watched.add(name)
        info = decode(data) if data else None
        if info is None:
            self._entries.pop(name, None)
        else:
            self._entries[name] = info

    # -- from kazoo's threads ----------------------------------------------------------

    def _on_watch(self, event: Any) -> None:
        if event.type == EventType.NONE:
            return  # the connection dropped; the reconnection reads everything
        name = "" if event.type == EventType.CHILD else event.path.rpartition("/")[2]
        self._post(self._mark, name)

    def _on_state(self, state: str) -> None:
        self._post(self._state_changed, state)

    def _post(self, fn: Callable[[Any], None], arg: Any) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: we are done
                loop.call_soon_threadsafe(fn, arg)

    # -- on the event loop -------------------------------------------------------------

    def _mark(self, name: str) -> None:
        self._dirty.add(name)
        self._wake.set()

    def _state_changed(self, state: str) -> None:
        if state == KazooState.LOST:
            self._session_lost = True
            self._written = None
        elif state == KazooState.CONNECTED:
            self._reconnected = True
            self._wake.set()

    def _loop_later(self, delay: float, fn: Callable[[], None]) -> None:
        if self._loop is not None:
            self._loop.call_later(delay, fn)

    async def _call(self, result: Any) -> Any:
        """Await one of kazoo's asynchronous results on the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(done: Any) -> None:
            if future.done():
                return
            try:
                future.set_result(done.get_nowait())
            except Exception as exc:
                future.set_exception(exc)

        def ready(done: Any) -> None:  # on kazoo's thread
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, done)

        result.rawlink(ready)
        # asyncio.timeout, not wait_for: wait_for (3.11) drops a cancellation that
        # arrives as the result does.
        async with asyncio.timeout(API_TIMEOUT):
            return await future
