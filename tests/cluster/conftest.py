"""Fixtures of the cluster tests: a NATS of the test's own, PostgreSQL per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cluster.nats_server import NatsServer
from tests.helpers.services import PG_HOST, PG_PORT, require


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def cluster_store(pg_url: str) -> str:
    require("PostgreSQL", PG_HOST, PG_PORT)
    return pg_url
