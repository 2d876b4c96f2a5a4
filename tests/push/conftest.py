"""Fixtures for the push tests: real local servers standing in for the providers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.push.push_servers import AsgiServers


@pytest.fixture
async def servers() -> AsyncIterator[AsgiServers]:
    running = AsgiServers()
    yield running
    await running.stop()
