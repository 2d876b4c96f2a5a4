from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"login_per_account_per_min": 1000, "login_per_address_per_min": 3}


async def test_login_rate_limited_per_address(http: httpx.AsyncClient) -> None:
    statuses = []
    for i in range(5):
        r = await http.post(
            "/v1/sessions", json={"username": f"someone{i}", "password": "whatever1"}
        )
        statuses.append(r.status_code)
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
