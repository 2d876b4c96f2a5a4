"""SeaweedFS for the S3 blob engine's tests: one per test module, a bucket per test."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiobotocore.session import get_session

from tests.media.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(Path(tmp_path_factory.mktemp("seaweed")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def s3_bucket(seaweed: SeaweedFS) -> AsyncIterator[str]:
    """A new, empty bucket (the gateway may need a moment after start to take one)."""
    name = "chinwag-" + secrets.token_hex(4)
    async with get_session().create_client(
        "s3",
        endpoint_url=seaweed.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        for attempt in range(100):
            try:
                await client.create_bucket(Bucket=name)
                break
            except Exception:
                if attempt == 99:
                    raise
                await asyncio.sleep(0.1)  # the filer is still starting: nothing to wait on
        yield name
