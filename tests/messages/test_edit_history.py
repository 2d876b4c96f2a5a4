"""The optional edit history (keep_edit_history), on both engines: each edit keeps the
text it replaced for server admins only; search and members still see the current text
alone; a delete erases the kept texts. Off by default: then nothing is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.admin_cli import run
from tests.helpers import api
from tests.helpers.server import RunningServer, run_server, test_settings


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"keep_edit_history": True}


async def _admin(server: RunningServer, http: httpx.AsyncClient) -> api.TestUser:
    admin = await api.signup(http)
    await run(server.app.settings, "grant", admin.username)
    return admin


async def _sent(http: httpx.AsyncClient, user: api.TestUser, cid: str, text: str) -> str:
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": api.unique_name("m"), "text": text},
        headers=user.auth,
    )
    assert r.status_code == 201, r.text
    return f"/v1/channels/{cid}/messages/{r.json()['message_id']}"


def _versions(path: str) -> str:
    return "/v1/admin" + path.removeprefix("/v1") + "/versions"


async def test_admins_read_the_texts_edits_replaced_until_a_delete(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, cid = await api.friends_in_chat(http)
    admin = await _admin(server, http)
    path = await _sent(http, a, cid, "first draft")
    for text in (f"second draft @{b.username}", "final words"):
        r = await http.patch(path, json={"text": text}, headers=a.auth)
        assert r.status_code == 200, r.text

    r = await http.get(_versions(path), headers=admin.auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"]["text"] == "final words"
    kept = body["versions"]
    assert [(v["version"], v["text"], v["mentions"]) for v in kept] == [
        (1, "first draft", []),
        (2, f"second draft @{b.username}", [b.id]),
    ]
    assert kept[0]["replaced_at"] == kept[1]["since"]
    assert kept[1]["replaced_at"] == body["message"]["edited_at"]

    # Members and the sender see the current text only; search finds it alone.
    for user in (a, b):
        r = await http.get(_versions(path), headers=user.auth)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await http.get("/v1/search", params={"q": "draft"}, headers=b.auth)
    assert r.status_code == 200 and r.json()["results"] == []
    r = await http.get(_versions(f"/v1/channels/{cid}/messages/999"), headers=admin.auth)
    assert r.status_code == 404

    assert (await http.delete(path, headers=a.auth)).status_code == 204
    r = await http.get(_versions(path), headers=admin.auth)
    assert r.status_code == 200
    assert r.json()["versions"] == [] and r.json()["message"]["deleted"] is True


async def test_off_by_default_nothing_is_kept(tmp_path: Path, store_url: str) -> None:
    async with (
        run_server(test_settings(tmp_path / "data", store_url)) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        a, _, cid = await api.friends_in_chat(http)
        admin = await _admin(server, http)
        path = await _sent(http, a, cid, "first draft")
        r = await http.patch(path, json={"text": "final words"}, headers=a.auth)
        assert r.status_code == 200
        r = await http.get(_versions(path), headers=admin.auth)
        assert r.status_code == 200, r.text
        assert r.json()["versions"] == [] and r.json()["message"]["text"] == "final words"
