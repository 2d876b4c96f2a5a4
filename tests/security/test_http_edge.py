"""The HTTP edge: header size and body deadlines, clients that go away mid-body,
forwarding headers only from trusted proxies, no caching of answers, and password
guessing through the password change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.edge import TrustedProxies, parse_networks
from tests.helpers import api
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wait import wait_for
from tests.helpers.wsclient import WsClient


@pytest.fixture
async def edge(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[RunningServer]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    settings = test_settings(tmp_path / "data", body_timeout=0.5, **overrides)
    async with run_server(settings) as srv:
        yield srv


async def _exchange(port: int, data: bytes, *, then_close: bool = False) -> bytes:
    """Send raw bytes, read until the server closes (or ends its answer); the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if then_close:
            return b""
        return await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def test_header_size_is_limited(edge: RunningServer) -> None:
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 200_000 + b"\r\n\r\n"
    answer = await _exchange(edge.port, big)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert b'"too_large"' in answer
    # Many small headers add up the same way.
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: bbbbbbbbbbbbbbbb\r\n" * 5000 + b"\r\n"
    assert (await _exchange(edge.port, many)).startswith(b"HTTP/1.1 431 ")
    # Headers well inside the limit are served.
    ok = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: "
        + b"a" * 8000
        + b"\r\nConnection: close\r\n\r\n"
    )
    assert (await _exchange(edge.port, ok)).startswith(b"HTTP/1.1 200 ")


async def test_a_body_must_arrive_in_time(edge: RunningServer) -> None:
    head = b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    # Never finished: the connection is answered 408 and closed, not held.
    answer = await _exchange(edge.port, head + b"Content-Length: 100\r\n\r\n" + b'{"user')
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    # Trickled a byte at a time: the deadline is for the whole body, not between bytes.
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
    writer.write(head + b"Content-Length: 1000\r\n\r\n")
    answer_read = asyncio.create_task(reader.read())
    try:
        for _ in range(1000):
            if answer_read.done():
                break
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.02)  # the trickle itself, not a wait for the server
    except (ConnectionResetError, BrokenPipeError):
        pass
    answer = await asyncio.wait_for(answer_read, 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    # A chunked body that never ends is cut off the same way.
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    assert (await _exchange(edge.port, chunked)).startswith(b"HTTP/1.1 408 ")


async def test_a_client_leaving_mid_body_is_not_an_error(
    edge: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    head = b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    await _exchange(edge.port, head + b'{"username": "half', then_close=True)
    metrics = edge.app.metrics
    await wait_for(lambda: any(k[2] == 499 for k in metrics.requests))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert not any(r.exc_info for r in caplog.records)


async def test_forwarded_for_is_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    settings = test_settings(tmp_path / "data", login_per_address_per_min=3)
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:
        statuses = []
        for n in range(4):  # each claims another address; all come from one
            r = await http.post(
                "/v1/sessions",
                json={"username": f"nobody{n}", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            statuses.append(r.status_code)
        assert statuses == [401, 401, 401, 429]


async def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path: Path) -> None:
    settings = test_settings(
        tmp_path / "data",
        login_per_address_per_min=3,
        connections_per_address=1,
        trusted_proxies="10.0.0.0/8, 127.0.0.1",
    )
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:

        async def login(forwarded: str) -> int:
            r = await http.post(
                "/v1/sessions",
                json={"username": "nobody", "password": "wrong password"},
                headers={"X-Forwarded-For": forwarded},
            )
            return r.status_code

        # Four clients behind the proxy: each has its own budget.
        assert [await login(f"203.0.113.{n}") for n in range(4)] == [401] * 4
        # One client: limited. A spoofed entry left of the proxy's own does not help.
        chain = [f"198.51.100.{n}, 192.0.2.7, 10.1.1.1" for n in range(4)]
        assert [await login(c) for c in chain] == [401, 401, 401, 429]
        # WebSocket limits count the forwarded address too.
        user = await api.signup(http)
        first = await WsClient.connect(srv.ws_url, extra_headers={"X-Forwarded-For": "192.0.2.1"})
        await first.hello(user.token)
        other = await WsClient.connect(srv.ws_url, extra_headers={"X-Forwarded-For": "192.0.2.2"})
        await other.hello(user.token)
        with pytest.raises(Exception, match="429"):
            await WsClient.connect(srv.ws_url, extra_headers={"X-Forwarded-For": "192.0.2.1"})
        await first.close()
        await other.close()


def test_trusted_proxy_chain_rules() -> None:
    proxies = TrustedProxies(parse_networks("10.0.0.0/8,::1"))
    assert proxies.client_of("8.8.8.8", [b"1.2.3.4"]) == "8.8.8.8"  # not a proxy
    assert proxies.client_of("10.0.0.1", [b"1.2.3.4"]) == "1.2.3.4"
    assert proxies.client_of("10.0.0.1", [b"6.6.6.6, 1.2.3.4, 10.9.9.9"]) == "1.2.3.4"
    assert proxies.client_of("10.0.0.1", [b"6.6.6.6", b"1.2.3.4"]) == "1.2.3.4"
    assert proxies.client_of("::1", [b"not-an-address"]) == "::1"
    assert proxies.client_of("::ffff:10.0.0.1", [b"[2001:db8::1]"]) == "2001:db8::1"
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks("10.0.0.0/8, nonsense")


async def test_answers_are_not_cached(edge: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as http:
        r = await http.post("/v1/users", json={"username": "cachey", "password": "long enough"})
        assert r.headers["cache-control"] == "no-store"
        r = await http.post("/v1/sessions", json={"username": "cachey", "password": "long enough"})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        assert (await http.get("/v1/me", headers=auth)).headers["cache-control"] == "no-store"
        assert (await http.get("/v1/nowhere")).headers["cache-control"] == "no-store"


async def test_password_change_is_a_rate_limited_guess(tmp_path: Path) -> None:
    settings = test_settings(tmp_path / "data", login_per_account_per_min=4)
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:
        user = await api.signup(http)  # logs in once: one of the four
        statuses = []
        for n in range(4):
            r = await http.post(
                "/v1/me/password",
                json={"current_password": f"guess number {n}", "new_password": "new password"},
                headers=user.auth,
            )
            statuses.append(r.status_code)
        assert statuses == [401, 401, 401, 429]
        assert int(r.headers["Retry-After"]) >= 1
        # The budget is the account's: logins wait as well.
        r = await http.post(
            "/v1/sessions", json={"username": user.username, "password": user.password}
        )
        assert r.status_code == 429
