"""A gateway's registration keeps refreshing through whatever its registry raises, and
says so when its refreshing ends other than by stop()."""

from __future__ import annotations

import asyncio
import logging

import pytest

from chinwag.discovery.registrar import Registration
from chinwag.discovery.service import GatewayInfo
from tests.helpers.wait import wait_for

INFO = GatewayInfo("g1", "ws://g1/v1/ws", "eu", 0, 10)


class FlakyRegistrar:
    """Refreshes fail in turn with an error and with a stray CancelledError (a future the
    client library cancelled), then succeed."""

    ttl = 1.0

    def __init__(self) -> None:
        self.refreshes = 0
        self.failures: list[BaseException] = [RuntimeError("away"), asyncio.CancelledError()]

    async def register(self, info: GatewayInfo) -> None:
        pass

    async def refresh(self, info: GatewayInfo) -> None:
        self.refreshes += 1
        if self.failures:
            raise self.failures.pop(0)

    async def deregister(self, gateway_id: str) -> None:
        pass


async def test_refreshing_goes_on_after_errors_and_a_stray_cancellation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registrar = FlakyRegistrar()
    registration = Registration(registrar, lambda: INFO, every=0.01)
    await registration.start()
    await wait_for(lambda: registrar.refreshes >= 5)
    await registration.stop()
    assert "cancelled inside the client" in caplog.text
    assert "ended before stop" not in caplog.text


async def test_refreshing_that_ends_before_stop_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registration = Registration(FlakyRegistrar(), lambda: INFO, every=0.01)
    await registration.start()
    assert registration._task is not None
    registration._task.cancel()
    with caplog.at_level(logging.ERROR, logger="chinwag.discovery"):
        await asyncio.sleep(0.05)
    assert "registry refresh ended before stop: cancelled" in caplog.text
    await registration.stop()
