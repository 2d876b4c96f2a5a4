"""The fuzz tests run against each engine: a module-wide server per engine."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import asyncpg
import pytest

from tests.helpers.services import PG_HOST, PG_PORT, require


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def engine_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Empty for SQLite, else a fresh PostgreSQL database for the whole module."""
    if request.param == "sqlite":
        yield ""
        return
    require("PostgreSQL", PG_HOST, PG_PORT)
    name = "chinwag_fuzz_" + secrets.token_hex(6)
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
