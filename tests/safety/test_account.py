"""Export (streamed) and deleting one's account."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import RunningServer, run_server, test_settings
from tests.helpers.wsclient import WsClient
from tests.media import files


async def test_export(http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    for user, cid in ((a, "a1"), (b, "b1"), (a, "a2")):
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": cid, "text": f"text {cid}"},
            headers=user.auth,
        )
        assert r.status_code == 201
    r = await http.get("/v1/me/export", headers=a.auth)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    data = r.json()
    assert data["profile"]["id"] == a.id
    assert [f["id"] for f in data["friends"]] == [b.id]
    assert [c["id"] for c in data["channels"]] == [channel]
    assert [m["client_msg_id"] for m in data["messages"]] == ["a1", "a2"]  # only a's own


async def test_export_lists_each_message_with_its_attachments(
    http: httpx.AsyncClient,
) -> None:
    a, _, channel = await api.friends_in_chat(http)
    ids = []
    for name, data in (("notes.txt", b"plain notes\n"), ("pic.png", files.png(40, 30))):
        r = await http.post("/v1/uploads", params={"filename": name}, content=data, headers=a.auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    sends = (("two", "", ids), ("none", "just text", []), ("one", "a picture", ids[1:]))
    for cid, text, attached in sends:
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": cid, "text": text, "attachment_ids": attached},
            headers=a.auth,
        )
        assert r.status_code == 201, r.text
    r = await http.get("/v1/me/export", headers=a.auth)
    assert r.status_code == 200
    messages = {m["client_msg_id"]: m for m in r.json()["messages"]}
    two = messages["two"]["attachments"]
    assert [x["id"] for x in two] == ids
    assert [(x["name"], x["content_type"], x["size"]) for x in two] == [
        ("notes.txt", "text/plain", 12),
        ("pic.png", "image/png", len(files.png(40, 30))),
    ]
    assert messages["none"]["attachments"] == []
    assert [x["id"] for x in messages["one"]["attachments"]] == [ids[1]]
    for x in two:
        assert x["download_path"] == f"/v1/attachments/{x['id']}"
        # The path is where the exporting user downloads the file.
        got = await http.get(x["download_path"], headers=a.auth)
        assert got.status_code == 200 and len(got.content) == x["size"]


async def test_export_streams_a_large_history(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    """Many messages come out as they are read, page by page: the answer is chunked (no
    Content-Length) and the server's memory stays far below the size of the answer."""
    a, _, channel = await api.friends_in_chat(http)
    count = 40_000
    store: Any = server.app.services.store
    rows = [
        (channel, i, a.id, "d", f"c{i}", "x" * 200, 1_700_000_000_000) for i in range(1, count + 1)
    ]
    if hasattr(store.db, "write"):  # SQLite

        def job(conn: Any, _: Any) -> None:
            conn.executemany(
                "INSERT INTO messages (channel_id, message_id, sender_id, device_id,"
                " client_msg_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        await store.db.write(job)
    else:
        async with store.db.connection() as conn:
            await conn.copy_records_to_table(
                "messages",
                records=[(*row, 0) for row in rows],  # bucket 0: the one a test's store has
                columns=[
                    "channel_id",
                    "message_id",
                    "sender_id",
                    "device_id",
                    "client_msg_id",
                    "text",
                    "created_at",
                    "bucket",
                ],
            )
    rows.clear()  # not counted against the server below
    # The server runs in this process: trace its allocations while the client keeps only
    # counts of what it reads.
    size, found, tail = 0, 0, b""
    tracemalloc.start()
    try:
        # Uncompressed, so the client can count messages in the raw bytes.
        headers = {**a.auth, "Accept-Encoding": "identity"}
        async with http.stream("GET", "/v1/me/export", headers=headers) as r:
            assert r.status_code == 200
            assert "content-length" not in r.headers
            assert r.headers["transfer-encoding"] == "chunked"
            async for chunk in r.aiter_raw():
                size += len(chunk)
                found += (tail + chunk).count(b'"message_id":') - tail.count(b'"message_id":')
                tail = chunk[-16:]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == count
    assert size > 10_000_000
    assert peak < size / 4, (peak, size)


async def test_delete_account(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    c = await api.signup(http)
    await api.open_to_groups(http, b, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [b.id, c.id]},
        headers=a.auth,
    )
    group = r.json()["id"]
    assert (
        await http.patch(
            f"/v1/channels/{group}/members/{c.id}", json={"role": "admin"}, headers=a.auth
        )
    ).status_code == 204
    for ch in (channel, group):
        r = await http.post(
            f"/v1/channels/{ch}/messages",
            json={"client_msg_id": f"m-{ch}", "text": "kept"},
            headers=a.auth,
        )
        assert r.status_code == 201
    await http.put(f"/v1/blocks/{c.id}", headers=a.auth)
    r = await http.post(
        "/v1/push/subscriptions", json={"kind": "fcm", "token": "t"}, headers=a.auth
    )
    assert r.status_code == 201
    other = await api.login(http, a.username, device="other")
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(other.token)

    r = await http.request("DELETE", "/v1/me", json={"password": "wrong password"}, headers=a.auth)
    assert r.status_code == 401
    assert (await http.get("/v1/me", headers=a.auth)).status_code == 200
    r = await http.request("DELETE", "/v1/me", json={}, headers=a.auth)
    assert r.status_code == 400
    r = await http.request("DELETE", "/v1/me", json={"password": a.password}, headers=a.auth)
    assert r.status_code == 204

    assert await ws.closed() == 4001
    for token in (a, other):
        assert (await http.get("/v1/me", headers=token.auth)).status_code == 401
    r = await http.post("/v1/sessions", json={"username": a.username, "password": a.password})
    assert r.status_code == 401
    # Profile erased; messages stay, from a user with no profile.
    gone = (await http.get(f"/v1/users/{a.id}", headers=b.auth)).json()
    assert gone["username"] == "" and gone["display_name"] == ""
    assert (await http.get("/v1/users", params={"username": a.username}, headers=b.auth)).json()[
        "users"
    ] == []
    for ch in (channel, group):
        msgs = await api.history(http, b, ch)
        assert [(m["sender_id"], m["text"]) for m in msgs] == [(a.id, "kept")]
    assert (await http.get("/v1/friends", headers=b.auth)).json()["friends"] == []
    # Ownership passed to the admin, as on leave.
    members = (await http.get(f"/v1/channels/{group}/members", headers=b.auth)).json()["members"]
    assert {m["user_id"]: m["role"] for m in members} == {b.id: "member", c.id: "owner"}
    store: Any = server.app.services.store
    assert await store.push.subscriptions_of(a.id) == []
    assert await store.safety.blocked_ids(a.id) == []
    r = await http.post("/v1/friends/requests", json={"user_id": a.id}, headers=b.auth)
    assert r.status_code == 404
    # The username is held back (30 days by default).
    r = await http.post("/v1/users", json={"username": a.username, "password": "another pw"})
    assert r.status_code == 409
    await ws.close()


@pytest.mark.parametrize("store_kind", ["sqlite"])
async def test_username_free_after_the_hold(tmp_path: Path, store_url: str) -> None:
    settings = test_settings(tmp_path / "data", store_url, deleted_username_hold_days=0.0)
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:
        a = await api.signup(http)
        r = await http.request("DELETE", "/v1/me", json={"password": a.password}, headers=a.auth)
        assert r.status_code == 204
        again = await api.signup(http, a.username)
        assert again.id != a.id
