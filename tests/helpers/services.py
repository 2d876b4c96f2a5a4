"""Finding the real engines (PostgreSQL, NATS) or skipping with a clear reason.

With CHINWAG_REQUIRE_SERVICES=1 (as in CI) a missing engine fails the run instead.
"""

from __future__ import annotations

import os
import socket

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
NATS_HOST, NATS_PORT = "127.0.0.1", 4222


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, host: str, port: int) -> None:
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and CHINWAG_REQUIRE_SERVICES=1")
    pytest.skip(message)
