"""Ranking gateways for a client: same region first, then least loaded; full ones never.

The registry behind it is an interface: in one process it is the process itself; across
processes it is a NATS JetStream key-value bucket (discovery/nats_registry.py) or
ZooKeeper (discovery/zookeeper_registry.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GatewayInfo:
    id: str
    url: str
    region: str
    connections: int
    capacity: int

    @property
    def load(self) -> float:
        return self.connections / self.capacity if self.capacity > 0 else 1.0


class Registry(Protocol):
    async def gateways(self) -> list[GatewayInfo]: ...


def rank(gateways: list[GatewayInfo], region: str | None) -> list[GatewayInfo]:
    """Pure ranking: region match, then load; gateways at capacity are left out."""
    open_ = [g for g in gateways if g.connections < g.capacity]
    return sorted(open_, key=lambda g: (0 if region and g.region == region else 1, g.load, g.id))


class Discovery:
    def __init__(self, registry: Registry, default_region: str) -> None:
        self._registry = registry
        self._region = default_region

    async def best(self, region: str | None = None) -> list[GatewayInfo]:
        return rank(await self._registry.gateways(), region or self._region)


class LocalRegistry:
    """The single-process answer: this process, with a URL derived per request when no
    public URL is configured."""

    def __init__(self, info: Callable[[], GatewayInfo | None]) -> None:
        self._info = info

    async def gateways(self) -> list[GatewayInfo]:
        info = self._info()
        return [info] if info is not None else []
