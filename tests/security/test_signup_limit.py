from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"signup_per_address_per_min": 3}


async def test_signups_per_address_are_limited(http: httpx.AsyncClient) -> None:
    codes = []
    for i in range(5):
        r = await http.post("/v1/users", json={"username": f"probe{i}", "password": "longenough"})
        codes.append(r.status_code)
    assert codes == [201, 201, 201, 429, 429]
