"""Tokens and passwords: strong, stored hashed, never logged; security headers present."""

from __future__ import annotations

import base64
import logging
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


async def test_tokens_random_hashed_and_never_logged(
    server: RunningServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "a very particular passphrase"
    user = await api.signup(http, password=password)
    tokens = {user.token}
    for i in range(5):
        tokens.add((await api.login(http, user.username, password, device=f"d{i}")).token)
    assert len(tokens) == 6
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32  # 256 bits
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(user.token)
    await http.post("/v1/sessions", json={"username": user.username, "password": "wrong guess 1"})
    await http.post(
        "/v1/me/password",
        json={"current_password": password, "new_password": "another long secret"},
        headers=user.auth,
    )
    await http.delete("/v1/sessions/current", headers=user.auth)
    await ws.closed()
    logged = caplog.text
    assert logged  # the server did log
    for secret in (*tokens, password, "another long secret", "wrong guess 1"):
        assert secret not in logged
    # Only hashes are stored.
    conn = sqlite3.connect(tmp_path / "data" / "chinwag.db")
    try:
        dump = "\n".join(conn.iterdump())
        assert all(t not in dump for t in tokens) and password not in dump
        hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users")]
        assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    finally:
        conn.close()


async def test_security_headers(http: httpx.AsyncClient) -> None:
    for path in ("/", "/healthz", "/v1/me"):
        r = await http.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"


async def test_scripts_may_compile_webassembly_and_nothing_more(http: httpx.AsyncClient) -> None:
    # The end-to-end encryption library is WebAssembly: 'wasm-unsafe-eval' is the one
    # addition to scripts from this origin; no inline script, no eval.
    policy = (await http.get("/")).headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'"]


async def test_signup_enumeration_is_rate_limited(http: httpx.AsyncClient) -> None:
    # Usernames are unique, so signup must say "taken"; what stops enumeration through
    # it is the per-address signup limit (tested with a low limit elsewhere) and the
    # identical answers of login for unknown users and wrong passwords.
    a = await api.signup(http)
    r1 = await http.post("/v1/sessions", json={"username": a.username, "password": "nope nope"})
    r2 = await http.post(
        "/v1/sessions", json={"username": a.username + "x", "password": "nope nope"}
    )
    assert (r1.status_code, r1.json()) == (r2.status_code, r2.json())
