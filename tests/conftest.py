"""Shared fixtures: a real server per test on SQLite or PostgreSQL, HTTP clients."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.cluster.nats_server import NatsServer
from tests.cluster.zookeeper_server import ZooKeeperServer, require_zookeeper
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.services import PG_HOST, PG_PORT, require


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"


@pytest.fixture
async def pg_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require("PostgreSQL", PG_HOST, PG_PORT)
    name = "chinwag_test_" + secrets.token_hex(6)
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    """A nats-server of the test's own: random port, JetStream on disk."""
    server = NatsServer(tmp_path / "nats")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def zookeeper(tmp_path: Path) -> AsyncIterator[ZooKeeperServer]:
    """A ZooKeeper of the test's own: random port, data in the test's directory."""
    require_zookeeper()
    server = ZooKeeperServer(tmp_path / "zookeeper")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def store_url(store_kind: str, request: pytest.FixtureRequest) -> str:
    """Empty for SQLite (in the data dir), else a fresh PostgreSQL database."""
    if store_kind == "sqlite":
        return ""
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change server settings."""
    return {}


@pytest.fixture
async def server(
    tmp_path: Path, store_url: str, settings_overrides: dict[str, Any]
) -> AsyncIterator[RunningServer]:
    async with run_server(test_settings(tmp_path / "data", store_url, **settings_overrides)) as s:
        yield s


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
