"""Accounts over real HTTP: signup, login, profile, logout, lookups and their errors."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer


async def test_signup_login_profile_logout(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/v1/users",
        json={"username": "Alice_1", "password": "hunter2hunter2", "display_name": "Alice"},
    )
    assert r.status_code == 201
    user = r.json()
    assert user["username"] == "Alice_1" and user["display_name"] == "Alice"
    assert set(user) >= {
        "id",
        "username",
        "display_name",
        "avatar_url",
        "avatar_id",
        "status_text",
        "created_at",
    }
    assert "password" not in r.text and "hash" not in r.text

    r = await http.post("/v1/sessions", json={"username": "alice_1", "password": "hunter2hunter2"})
    assert r.status_code == 201
    session = r.json()
    assert session["user"]["id"] == user["id"] and session["token"] and session["device_id"]
    assert session["gateways"] and session["gateways"][0]["url"].startswith("ws://")
    auth = {"Authorization": f"Bearer {session['token']}"}

    r = await http.get("/v1/me", headers=auth)
    assert r.status_code == 200 and r.json()["id"] == user["id"]
    r = await http.patch(
        "/v1/me",
        json={
            "display_name": "Alice A.",
            "status_text": "busy",
            "avatar_url": "",
        },
        headers=auth,
    )
    assert r.status_code == 200
    assert r.json()["display_name"] == "Alice A." and r.json()["status_text"] == "busy"
    r = await http.get(f"/v1/users/{user['id']}", headers=auth)
    assert r.json()["display_name"] == "Alice A."
    r = await http.get("/v1/users", params={"username": "ALICE_1"}, headers=auth)
    assert [u["id"] for u in r.json()["users"]] == [user["id"]]
    r = await http.get("/v1/users", params={"username": "nobody_here"}, headers=auth)
    assert r.json()["users"] == []

    r = await http.delete("/v1/sessions/current", headers=auth)
    assert r.status_code == 204
    r = await http.get("/v1/me", headers=auth)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


async def test_two_devices_have_their_own_tokens(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    b = await api.login(http, a.username, device="phone")
    assert a.token != b.token and a.device_id != b.device_id
    assert (await http.delete("/v1/sessions/current", headers=a.auth)).status_code == 204
    assert (await http.get("/v1/me", headers=b.auth)).status_code == 200


async def test_same_401_for_unknown_user_and_wrong_password(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    wrong = await http.post(
        "/v1/sessions", json={"username": a.username, "password": "wrongpassword"}
    )
    unknown = await http.post(
        "/v1/sessions", json={"username": "no_such_user", "password": "wrongpassword"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "longenough"},
        {"username": "has space", "password": "longenough"},
        {"username": "x" * 33, "password": "longenough"},
        {"username": "okname", "password": "short"},
        {"username": "okname", "password": "x" * 1025},
        {"username": "okname"},
        {"username": 5, "password": "longenough"},
        {"username": "okname", "password": "longenough", "display_name": "x" * 65},
        [],
        "text",
    ],
)
async def test_signup_rejects_bad_input(http: httpx.AsyncClient, body: object) -> None:
    r = await http.post("/v1/users", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_request"


async def test_malformed_and_oversized_bodies(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    r = await http.post("/v1/users", content=b"")
    assert r.status_code == 400
    r = await http.post("/v1/users", content=b"x" * (2 << 20))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = await http.get("/v1/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await http.put("/v1/me")
    assert r.status_code == 405 and "error" in r.json()


async def test_username_taken_case_insensitively(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    r = await http.post(
        "/v1/users", json={"username": a.username.upper(), "password": "longenough"}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


async def test_auth_required_everywhere(http: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/v1/me"),
        ("GET", "/v1/friends"),
        ("GET", "/v1/channels"),
        ("DELETE", "/v1/sessions/current"),
        ("GET", "/v1/users/u123"),
    ]:
        r = await http.request(method, path)
        assert r.status_code == 401, path
        r = await http.request(method, path, headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401, path


async def test_profile_validation(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    for body in (
        {"avatar_url": "javascript:alert(1)"},
        {"avatar_url": "https://x.example/a.png"},
        {"avatar_id": 3},
        {"status_text": "x" * 300},
        {"display_name": 3},
    ):
        r = await http.patch("/v1/me", json=body, headers=a.auth)
        assert r.status_code == 400, body


async def test_unknown_user_lookup(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    r = await http.get("/v1/users/uDoesNotExist", headers=a.auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"login_per_account_per_min": 3, "login_per_address_per_min": 1000}


async def test_login_rate_limited_per_account(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)  # one login used
    codes = []
    for _ in range(4):
        r = await http.post("/v1/sessions", json={"username": a.username, "password": "nope-nope"})
        codes.append(r.status_code)
    assert codes[-1] == 429
    r = await http.post("/v1/sessions", json={"username": a.username, "password": "nope-nope"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"


async def test_ops_endpoints(server: RunningServer, http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).status_code == 200
    await http.get("/v1/me")
    metrics = (await http.get("/metrics")).text
    assert 'chinwag_http_requests_total{method="GET",route="/v1/me",status="401"}' in metrics
    assert "chinwag_http_request_duration_seconds_bucket" in metrics
    doc = (await http.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert (
        "post" in doc["paths"]["/v1/users"] and "/v1/channels/{channel_id}/messages" in doc["paths"]
    )
    assert "SignupBody" in doc["components"]["schemas"]
    disc = (await http.get("/v1/discovery")).json()["gateways"]
    assert disc[0]["url"] == f"ws://127.0.0.1:{server.port}/v1/ws"
