"""Every gateway registry backend behind the one interface, against real servers: NATS
JetStream (the default) and ZooKeeper, each started by the test on a random port.

What every backend must do: a registered gateway is listed with its URL, a change of
its connection count reaches readers, a gateway that stops on purpose is gone, and a
second reader sees what the first sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

from chinwag.bus.nats import NatsBus
from chinwag.discovery.nats_registry import NatsRegistry
from chinwag.discovery.registrar import Registrar, Registration
from chinwag.discovery.service import Discovery, GatewayInfo, Registry
from chinwag.discovery.zookeeper_registry import ZooKeeperRegistry
from tests.cluster.nats_server import NatsServer
from tests.cluster.zookeeper_server import ZooKeeperServer, require_zookeeper
from tests.helpers.wait import wait_for

TTL = 2.0


class Backend(Registry, Registrar, Protocol):
    async def start(self) -> None: ...


@pytest.fixture(params=["nats", "zookeeper"])
async def open_registry(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Any]]:
    """A factory of started registries (one per simulated process) of one backend, on
    a server of the test's own."""
    made: list[Any] = []
    buses: list[NatsBus] = []
    server: NatsServer | ZooKeeperServer
    if request.param == "nats":
        server = nats = NatsServer(tmp_path / "nats")

        async def make() -> Backend:
            bus = NatsBus(nats.url, name="registry-test")
            await bus.start()
            buses.append(bus)
            reg = NatsRegistry(bus.client, ttl=TTL, staleness=0.0)
            await reg.start()
            return reg
    else:
        require_zookeeper()
        server = zk = ZooKeeperServer(tmp_path / "zookeeper")

        async def make() -> Backend:
            reg = ZooKeeperRegistry(zk.hosts, "/test", session_timeout=TTL)
            await reg.start()
            made.append(reg)
            return reg

    await server.start()
    try:
        yield make
    finally:
        for reg in made:
            await reg.close()
        for bus in buses:
            await bus.close()
        await server.stop()


def info(gateway_id: str, connections: int = 0) -> GatewayInfo:
    return GatewayInfo(gateway_id, f"ws://{gateway_id}.example:9000/v1/ws", "eu", connections, 10)


async def listed(reader: Registry) -> dict[str, tuple[str, int]]:
    return {g.id: (g.url, g.connections) for g in await reader.gateways()}


async def test_register_update_and_deregister(open_registry: Callable[[], Any]) -> None:
    reader: Backend = await open_registry()
    other_reader: Backend = await open_registry()
    w1: Backend = await open_registry()
    w2: Backend = await open_registry()
    load = {"g1": 10, "g2": 2}
    r1 = Registration(w1, lambda: info("g1", load["g1"]), every=0.2)
    r2 = Registration(w2, lambda: info("g2", load["g2"]), every=0.2)
    await r1.start()
    await r2.start()
    try:
        want = {"g1": ("ws://g1.example:9000/v1/ws", 10), "g2": ("ws://g2.example:9000/v1/ws", 2)}

        async def both_see(expected: dict[str, tuple[str, int]]) -> bool:
            return await listed(reader) == expected and await listed(other_reader) == expected

        await wait_for(lambda: both_see(want), timeout=10)
        discovery = Discovery(reader, "eu")
        assert [g.id for g in await discovery.best()] == ["g2"]  # g1 is at capacity
        # A load update reaches the readers through the next refresh.
        load["g1"] = 1
        want["g1"] = ("ws://g1.example:9000/v1/ws", 1)
        await wait_for(lambda: both_see(want), timeout=10)
        assert [g.id for g in await discovery.best()] == ["g1", "g2"]
        # A gateway that stops on purpose is gone.
        await r2.stop()
        del want["g2"]
        await wait_for(lambda: both_see(want), timeout=10)
    finally:
        with contextlib.suppress(Exception):
            await r1.stop()
            await r2.stop()
