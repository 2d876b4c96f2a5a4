"""A rate-limited call maps to ChinwagApiError with `retry_after`."""

from __future__ import annotations

from typing import Any

import pytest

from chinwag.client import ApiClient, ChinwagApiError
from tests.helpers.api import unique_name
from tests.helpers.server import RunningServer


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"login_per_account_per_min": 2}


async def test_rate_limited_login_says_when_to_retry(server: RunningServer) -> None:
    async with ApiClient(server.base_url) as client:
        name = unique_name()
        await client.signup(name, "correct horse")
        for _ in range(2):
            await client.login(name, "correct horse")
        with pytest.raises(ChinwagApiError) as limited:
            await client.login(name, "correct horse")
    assert (limited.value.code, limited.value.status) == ("rate_limited", 429)
    assert limited.value.retry_after is not None and limited.value.retry_after > 0
