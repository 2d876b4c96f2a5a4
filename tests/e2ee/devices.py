"""Python devices with end-to-end encryption against a running server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chinwag.client import ApiClient
from chinwag.client.e2ee import E2eeDevice, SealedFile
from tests.helpers.api import TestUser


@asynccontextmanager
async def device(
    base_url: str, user: TestUser, folder: Path, *, new_login: bool = False
) -> AsyncIterator[E2eeDevice]:
    """An encrypted device of `user`: the test user's own device, or a new login."""
    api = ApiClient(base_url, user.token)
    try:
        device_id = user.device_id
        if new_login:
            device_id = (await api.login(user.username, user.password, "another")).device_id
        key = os.urandom(32)
        store = SealedFile(folder / f"{device_id}.e2ee", key)
        yield await E2eeDevice.open(api, user.id, device_id, store)
    finally:
        await api.aclose()
