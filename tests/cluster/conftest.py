"""Fixtures of the cluster tests: a NATS of the test's own, PostgreSQL per test, and the
cluster itself (an api process and gateways) with an HTTP client for its api."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster.nats_server import NatsServer
from tests.cluster.nodes import Cluster
from tests.helpers.services import PG_HOST, PG_PORT, require


@pytest.fixture
def cluster_store(pg_url: str) -> str:
    require("PostgreSQL", PG_HOST, PG_PORT)
    return pg_url


@pytest.fixture
def cluster_settings() -> dict[str, Any]:
    """Override (or parametrize) to change the cluster's settings."""
    return {}


@pytest.fixture
async def cluster(
    tmp_path: Path, nats_server: NatsServer, cluster_store: str, cluster_settings: dict[str, Any]
) -> AsyncIterator[Cluster]:
    c = Cluster(tmp_path, cluster_store, nats_server.url, **cluster_settings)
    try:
        await c.start()
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def http(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.api.base_url, timeout=30) as client:
        yield client
