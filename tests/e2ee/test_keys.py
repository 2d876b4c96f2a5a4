"""The key directory, to-device queues and key backup over HTTP and WebSocket, with
their authorisation and bounds, on both engines."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.e2ee.keys import device_keys, mxid, one_time_keys
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def _upload(http: httpx.AsyncClient, user: api.TestUser, **body: Any) -> httpx.Response:
    return await http.post("/v1/keys/upload", json=body, headers=user.auth)


async def test_upload_query_claim(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    stranger = await api.signup(http)
    await api.befriend(http, a, b)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)

    r = await _upload(
        http,
        a,
        device_keys=device_keys(a),
        one_time_keys=one_time_keys(3),
        fallback_keys={"signed_curve25519:F1": {"key": "fb", "fallback": True}},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"one_time_key_counts": {"signed_curve25519": 3}}
    notice = await wb.expect("device_lists", skip=("presence",))
    assert notice == {"type": "device_lists", "changed": [mxid(a)], "left": []}

    # Friends see the keys exactly as uploaded; strangers see nothing.
    r = await http.post("/v1/keys/query", json={"device_keys": {mxid(a): []}}, headers=b.auth)
    assert r.json()["device_keys"] == {mxid(a): {a.device_id: device_keys(a)}}
    r = await http.post(
        "/v1/keys/query", json={"device_keys": {mxid(a): []}}, headers=stranger.auth
    )
    assert r.json()["device_keys"] == {}

    # Each one-time key once, then the fallback key; a stranger claims nothing.
    want = {"one_time_keys": {mxid(a): {a.device_id: "signed_curve25519"}}}
    r = await http.post("/v1/keys/claim", json=want, headers=stranger.auth)
    assert r.json()["one_time_keys"] == {}
    # Concurrent claims: each one-time key goes to exactly one, then the fallback key.
    await _upload(http, a, one_time_keys=one_time_keys(7, 3))
    claims = await asyncio.gather(
        *(http.post("/v1/keys/claim", json=want, headers=b.auth) for _ in range(12))
    )
    got = [next(iter(c.json()["one_time_keys"][mxid(a)][a.device_id])) for c in claims]
    expected = [f"signed_curve25519:K{i:04d}" for i in range(10)] + ["signed_curve25519:F1"] * 2
    assert sorted(got) == sorted(expected)
    r = await http.get("/v1/keys/counts", headers=a.auth)
    assert r.json() == {"one_time_key_counts": {}, "unused_fallback_key_types": []}

    # The device hears its counts; uploading the same device keys again is no change.
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    await http.post("/v1/keys/claim", json=want, headers=b.auth)
    count = await wa.expect("keys_count", skip=("presence",))
    assert count["device_id"] == a.device_id and count["one_time_key_counts"] == {}
    r = await _upload(http, a, device_keys=device_keys(a), one_time_keys=one_time_keys(2, 10))
    assert r.json()["one_time_key_counts"] == {"signed_curve25519": 2}
    r = await _upload(http, a, device_keys=device_keys(a, curve="curveB"))
    assert (await wb.expect("device_lists", skip=("presence",)))["changed"] == [mxid(a)]
    await wa.close()
    await wb.close()


async def test_bad_key_uploads(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    bad = [
        {"device_keys": device_keys(b)},  # another user's keys
        {"device_keys": {**device_keys(a), "device_id": "other"}},
        {"device_keys": {**device_keys(a), "keys": {}}},
        {"device_keys": {"user_id": mxid(a)}},
        {"one_time_keys": {"nocolon": {"key": "k"}}},
        {"one_time_keys": {"rsa:1": {"key": "k"}}},
        {"one_time_keys": one_time_keys(101)},
        {"one_time_keys": {"signed_curve25519:big": {"key": "k" * 5000}}},
        {
            "fallback_keys": {
                "signed_curve25519:A": {"key": "a"},
                "signed_curve25519:B": {"key": "b"},
            }
        },
        {"one_time_keys": []},
    ]
    for body in bad:
        r = await _upload(http, a, **body)
        assert r.status_code == 400, body
    # A device holds at most 200 one-time keys.
    for start in (0, 100):
        assert (await _upload(http, a, one_time_keys=one_time_keys(100, start))).status_code == 200
    r = await _upload(http, a, one_time_keys=one_time_keys(1, 500))
    assert r.status_code == 400
    r = await http.post("/v1/keys/upload", json={})
    assert r.status_code == 401


async def test_to_device_queue(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    b2 = await api.login(http, b.username, device="second")
    stranger = await api.signup(http)
    w1 = await WsClient.connect(server.ws_url)
    await w1.hello(b.token)
    w2 = await WsClient.connect(server.ws_url)
    await w2.hello(b2.token)

    body = {"messages": {mxid(b): {b.device_id: {"ciphertext": "one"}}}}
    r = await http.put("/v1/to-device/m.room.encrypted/t1", json=body, headers=a.auth)
    assert r.status_code == 200
    frame = await w1.expect("to_device", skip=("presence",))
    assert frame == {
        "type": "to_device",
        "device_id": b.device_id,
        "seq": 1,
        "sender": mxid(a),
        "sender_device": a.device_id,
        "event_type": "m.room.encrypted",
        "content": {"ciphertext": "one"},
    }
    # A repeat of the txn_id is not queued again; "*" reaches every device.
    await http.put("/v1/to-device/m.room.encrypted/t1", json=body, headers=a.auth)
    everyone = {"messages": {mxid(b): {"*": {"ciphertext": "all"}}}}
    await http.put("/v1/to-device/m.room_key_request/t2", json=everyone, headers=a.auth)
    assert (await w1.expect("to_device", skip=("presence",)))["content"] == {"ciphertext": "all"}
    on_second = await w2.expect("to_device", skip=("presence",))
    assert on_second["device_id"] == b2.device_id and on_second["seq"] == 1
    # A stranger's messages go nowhere.
    r = await http.put(
        "/v1/to-device/m.room.encrypted/t3",
        json={"messages": {mxid(b): {"*": {"ciphertext": "spam"}}}},
        headers=stranger.auth,
    )
    assert r.status_code == 200

    r = await http.get("/v1/to-device", headers=b.auth)
    events = r.json()["events"]
    assert [(e["seq"], e["type"], e["content"]["ciphertext"]) for e in events] == [
        (1, "m.room.encrypted", "one"),
        (2, "m.room_key_request", "all"),
    ]
    assert events[0]["sender"] == mxid(a) and events[0]["sender_device"] == a.device_id
    # Acknowledged over the WebSocket: gone; the other device's queue is its own.
    w1.send({"type": "to_device_ack", "seq": 1})
    for _ in range(100):
        left = (await http.get("/v1/to-device", headers=b.auth)).json()["events"]
        if [e["seq"] for e in left] == [2]:
            break
        await asyncio.sleep(0.02)
    assert [e["seq"] for e in left] == [2]
    r = await http.post("/v1/to-device/ack", json={"seq": 2}, headers=b.auth)
    assert r.status_code == 204
    assert (await http.get("/v1/to-device", headers=b.auth)).json()["events"] == []
    assert len((await http.get("/v1/to-device", headers=b2.auth)).json()["events"]) == 1
    # Seqs never repeat after an ack.
    await http.put("/v1/to-device/m.room.encrypted/t4", json=body, headers=a.auth)
    assert [
        e["seq"] for e in (await http.get("/v1/to-device", headers=b.auth)).json()["events"]
    ] == [3]
    # Unacknowledged messages come again on a new socket.
    await w1.close()
    w3 = await WsClient.connect(server.ws_url)
    await w3.hello(b.token)
    again = await w3.expect("to_device", skip=("presence",))
    assert again["seq"] == 3
    await w2.close()
    await w3.close()


async def test_to_device_bad_input(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    huge = {"messages": {mxid(b): {"*": {"c": "x" * 70_000}}}}
    r = await http.put("/v1/to-device/t/1", json=huge, headers=a.auth)
    assert r.status_code in (400, 413)
    r = await http.put(
        "/v1/to-device/t/2", json={"messages": {mxid(b): {"*": "not an object"}}}, headers=a.auth
    )
    assert r.status_code == 400
    r = await http.put("/v1/to-device/" + "t" * 300 + "/3", json={"messages": {}}, headers=a.auth)
    assert r.status_code == 400
    r = await http.get("/v1/to-device", params={"limit": 0}, headers=a.auth)
    assert r.status_code == 400
    r = await http.post("/v1/to-device/ack", json={"seq": -1}, headers=a.auth)
    assert r.status_code == 400


async def test_key_backup(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    r = await http.get("/v1/keys/backup", headers=a.auth)
    assert r.status_code == 404
    auth_data = {"public_key": "pk", "signatures": {}}
    r = await http.put(
        "/v1/keys/backup",
        json={"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": auth_data},
        headers=a.auth,
    )
    assert r.json() == {"version": "1"}
    session = {"first_message_index": 0, "session_data": {"ciphertext": "c", "mac": "m"}}
    keys = {"version": "1", "rooms": {"!c1:chinwag": {"sessions": {"S1": session, "S2": session}}}}
    r = await http.put("/v1/keys/backup/keys", json=keys, headers=a.auth)
    assert r.json() == {"count": 2}
    r = await http.get("/v1/keys/backup", headers=a.auth)
    assert r.json() == {
        "version": "1",
        "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
        "auth_data": auth_data,
        "count": 2,
    }
    r = await http.get("/v1/keys/backup/keys", params={"version": "1"}, headers=a.auth)
    assert r.json()["rooms"]["!c1:chinwag"]["sessions"]["S2"] == session
    # Another user has no backup; a stale version is a conflict; a new version starts empty.
    r = await http.get("/v1/keys/backup/keys", params={"version": "1"}, headers=b.auth)
    assert r.status_code == 404
    r = await http.put(
        "/v1/keys/backup", json={"algorithm": "x", "auth_data": auth_data}, headers=a.auth
    )
    assert r.json() == {"version": "2"}
    r = await http.put("/v1/keys/backup/keys", json=keys, headers=a.auth)
    assert r.status_code == 409
    r = await http.put(
        "/v1/keys/backup", json={"algorithm": "x", "auth_data": "str"}, headers=a.auth
    )
    assert r.status_code == 400
    r = await http.get("/v1/keys/backup/keys", params={"version": "x"}, headers=a.auth)
    assert r.status_code == 400
