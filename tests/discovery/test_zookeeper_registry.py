"""The ZooKeeper registry through failures, against a real ZooKeeper started by the
test: ZooKeeper restarted (sessions survive, the registry keeps answering meanwhile),
and a gateway cut off longer than its session timeout (its node is deleted, and it
registers again on a new session when it is back)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chinwag.discovery.registrar import Registration
from chinwag.discovery.service import GatewayInfo
from chinwag.discovery.zookeeper_registry import ZooKeeperRegistry
from tests.cluster.zookeeper_server import ZooKeeperServer
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.wait import wait_for

SESSION = 2.0


class Gateway:
    """A registration whose connection count the test sets."""

    def __init__(self, registry: ZooKeeperRegistry) -> None:
        self.connections = 1
        self.registration = Registration(registry, self.info, every=0.2)

    def info(self) -> GatewayInfo:
        return GatewayInfo("gw1", "ws://gw1:9000/v1/ws", "eu", self.connections, 100)


@pytest.fixture
async def proxy(zookeeper: ZooKeeperServer) -> AsyncIterator[FaultProxy]:
    p = FaultProxy("127.0.0.1", zookeeper.port)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@pytest.fixture
async def registries(
    zookeeper: ZooKeeperServer, proxy: FaultProxy
) -> AsyncIterator[tuple[ZooKeeperRegistry, ZooKeeperRegistry]]:
    """A reader connected directly, and a writer connected through the fault proxy."""
    reader = ZooKeeperRegistry(zookeeper.hosts, "/c", session_timeout=SESSION)
    writer = ZooKeeperRegistry(f"127.0.0.1:{proxy.port}", "/c", session_timeout=SESSION)
    await reader.start()
    await writer.start()
    try:
        yield reader, writer
    finally:
        await writer.close()
        await reader.close()


async def listing(reader: ZooKeeperRegistry) -> list[tuple[str, int]]:
    return [(g.id, g.connections) for g in await reader.gateways()]


async def test_zookeeper_restarted(
    zookeeper: ZooKeeperServer, registries: tuple[ZooKeeperRegistry, ZooKeeperRegistry]
) -> None:
    reader, writer = registries
    gw = Gateway(writer)
    await gw.registration.start()
    try:

        async def seen(connections: int) -> bool:
            return await listing(reader) == [("gw1", connections)]

        await wait_for(lambda: seen(1), timeout=10)
        await zookeeper.stop()
        # ZooKeeper away: the last view is still answered.
        assert await seen(1)
        await zookeeper.start()
        # Back with its data: the session (and so the node) survived, watches are set
        # anew, and load updates flow again.
        gw.connections = 2
        await wait_for(lambda: seen(2), timeout=20)
    finally:
        await gw.registration.stop()

    async def gone() -> bool:
        return await listing(reader) == []

    await wait_for(gone, timeout=10)


async def test_gateway_cut_off_past_its_session(
    proxy: FaultProxy, registries: tuple[ZooKeeperRegistry, ZooKeeperRegistry]
) -> None:
    reader, writer = registries
    gw = Gateway(writer)
    await gw.registration.start()
    try:

        async def seen(want: list[tuple[str, int]]) -> bool:
            return await listing(reader) == want

        await wait_for(lambda: seen([("gw1", 1)]), timeout=10)
        proxy.refusing = True
        proxy.reset_all()
        # ZooKeeper expires the silent session and deletes its node.
        await wait_for(lambda: seen([]), timeout=SESSION * 3)
        gw.connections = 5
        proxy.refusing = False
        # Back on a new session, the gateway creates its node again, current load included.
        await wait_for(lambda: seen([("gw1", 5)]), timeout=20)
    finally:
        await gw.registration.stop()
