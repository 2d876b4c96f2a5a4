"""The engines under test: every conformance test runs once per engine, on fresh storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chinwag.store.base import Store
from chinwag.store.postgres.store import PostgresStore
from chinwag.store.sqlite.store import SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An engine, not yet started: SQLite in tmp_path, or PostgreSQL on a fresh database."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "db.sqlite")
    url: str = request.getfixturevalue("pg_url")
    return PostgresStore(url)


@pytest.fixture
async def store(engine: Store) -> AsyncIterator[Store]:
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()
