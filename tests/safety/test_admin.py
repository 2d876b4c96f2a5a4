"""Reports, server admins (named with `chinwag admin`), deactivation and reactivation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chinwag.admin_cli import run
from chinwag.errors import ChinwagError, Code
from tests.helpers import api
from tests.helpers.process import cli_env
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def _admin(server: RunningServer, http: httpx.AsyncClient) -> api.TestUser:
    admin = await api.signup(http)
    assert await run(server.app.settings, "grant", admin.username) == (
        f"grant: {admin.username} ({admin.id})"
    )
    return admin


async def test_reports_and_their_bad_input(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    stranger = await api.signup(http)
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "x", "text": "you are awful"},
        headers=a.auth,
    )
    mid = r.json()["message_id"]

    async def report(user: api.TestUser, **body: object) -> httpx.Response:
        full = {"channel_id": channel, "message_id": mid, "reason": "abuse", **body}
        return await http.post("/v1/reports", json=full, headers=user.auth)

    for user, body in (
        (stranger, {}),  # a message one cannot see is as an unknown one
        (b, {"message_id": mid + 1}),
        (b, {"channel_id": "cNoSuch"}),
    ):
        r = await report(user, **body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", body
    for reason in ("", "   ", "x" * 10_000):
        r = await report(b, reason=reason)
        assert r.status_code == 400, reason
    r = await report(b, reason="insults")
    assert r.status_code == 201
    report_id = r.json()["id"]
    admin = await _admin(server, http)
    reports = (await http.get("/v1/admin/reports", headers=admin.auth)).json()["reports"]
    assert [
        (x["id"], x["reporter_id"], x["sender_id"], x["text"], x["reason"]) for x in reports
    ] == [(report_id, b.id, a.id, "you are awful", "insults")]


async def test_non_admins_are_refused_everywhere(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    user, target = await api.signup(http), await api.signup(http)
    admin = await _admin(server, http)
    assert (await http.get("/v1/me", headers=admin.auth)).json()["is_admin"] is True
    assert (await http.get("/v1/me", headers=user.auth)).json()["is_admin"] is False
    for method, path in (
        ("GET", "/v1/admin/users?username="),
        ("GET", "/v1/admin/reports"),
        ("POST", f"/v1/admin/users/{target.id}/deactivate"),
        ("POST", f"/v1/admin/users/{target.id}/reactivate"),
    ):
        r = await http.request(method, path, headers=user.auth)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
    assert (await http.get("/v1/me", headers=target.auth)).status_code == 200
    # Revoked: refused again.
    await run(server.app.settings, "revoke", admin.username)
    r = await http.get("/v1/admin/reports", headers=admin.auth)
    assert r.status_code == 403


async def test_deactivate_and_reactivate(server: RunningServer, http: httpx.AsyncClient) -> None:
    admin = await _admin(server, http)
    target = await api.signup(http)
    found = (
        await http.get(
            "/v1/admin/users", params={"username": target.username[:-2]}, headers=admin.auth
        )
    ).json()["users"]
    assert [(u["id"], u["is_admin"], u["deactivated"]) for u in found] == [
        (target.id, False, False)
    ]
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(target.token)
    r = await http.post(f"/v1/admin/users/{target.id}/deactivate", headers=admin.auth)
    assert r.status_code == 204
    assert await ws.closed() == 4001
    assert (await http.get("/v1/me", headers=target.auth)).status_code == 401
    r = await http.post(
        "/v1/sessions", json={"username": target.username, "password": target.password}
    )
    assert r.status_code == 403 and "deactivated" in r.json()["error"]["message"]
    ws = await WsClient.connect(server.ws_url)
    ws.send({"type": "hello", "token": target.token})
    assert await ws.closed() == 4001
    found = (
        await http.get("/v1/admin/users", params={"username": target.username}, headers=admin.auth)
    ).json()["users"]
    assert found[0]["deactivated"] is True
    r = await http.post(f"/v1/admin/users/{target.id}/reactivate", headers=admin.auth)
    assert r.status_code == 204
    again = await api.login(http, target.username)
    assert (await http.get("/v1/me", headers=again.auth)).status_code == 200
    r = await http.post("/v1/admin/users/uNoSuch/deactivate", headers=admin.auth)
    assert r.status_code == 404


async def test_cli_find_deactivate_reactivate(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    target = await api.signup(http)
    settings = server.app.settings
    assert target.id in await run(settings, "find", target.username)
    assert await run(settings, "find", "zzz-nobody") == "no accounts found"
    await run(settings, "deactivate", target.username)
    assert (await http.get("/v1/me", headers=target.auth)).status_code == 401
    assert "deactivated" in await run(settings, "find", target.username)
    r = await http.post(
        "/v1/sessions", json={"username": target.username, "password": target.password}
    )
    assert r.status_code == 403
    await run(settings, "reactivate", target.username)
    await api.login(http, target.username)


async def test_cli_unknown_user(server: RunningServer) -> None:
    for action in ("grant", "revoke", "deactivate", "reactivate"):
        with pytest.raises(ChinwagError) as caught:
            await run(server.app.settings, action, "nobody_at_all")
        assert caught.value.code is Code.NOT_FOUND


def test_cli_command_line(tmp_path: Path) -> None:
    """`chinwag admin` as an operator types it: a clear message and status for a bad name."""
    done = subprocess.run(
        [sys.executable, "-m", "chinwag", "admin", "grant", "nobody", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=cli_env(),
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "chinwag: no account named 'nobody'"
    done = subprocess.run(
        [sys.executable, "-m", "chinwag", "admin", "find", "a", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=cli_env(),
    )
    assert done.returncode == 0 and done.stdout.strip() == "no accounts found"
