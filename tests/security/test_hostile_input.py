"""Hostile input that used to become a 500: deep nesting, integers past 64 bits, bytes
that are not UTF-8, and U+0000 (which PostgreSQL text cannot hold). One rule on both
engines: 400 `invalid_request`, nothing stored, the connection or socket unharmed."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient

DEEP = 100_000


def _refused(r: httpx.Response) -> None:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert r.json()["error"]["code"] == "invalid_request"


async def test_deep_nesting_anywhere_in_a_body(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    for raw in (
        b"[" * DEEP + b"]" * DEEP,
        b'{"user_id": "' + b.id.encode() + b'", "x": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        b'{"user_id": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}",
    ):
        _refused(await http.post("/v1/friends/requests", content=raw, headers=a.auth))
    incoming, outgoing = (await http.get("/v1/friends/requests", headers=a.auth)).json().values()
    assert incoming == [] and outgoing == []


async def test_integers_past_the_wire_range(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b, channel = await api.friends_in_chat(http)
    await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "m", "text": "x"},
        headers=a.auth,
    )
    for value in (2**64 + 1, 2**63, 10**40, 2**53, -1, -(2**70)):
        r = await http.post(
            f"/v1/channels/{channel}/read", content=b'{"message_id": %d}' % value, headers=b.auth
        )
        _refused(r)
    for value in ("9" * 40, "-" + "9" * 40):
        r = await http.get(
            f"/v1/channels/{channel}/messages", params={"after": value}, headers=a.auth
        )
        _refused(r)


async def test_bytes_that_are_not_utf8(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    for raw in (
        b'{"user_id": "\xff\xfe"}',
        b'{"user_id": "' + b.id.encode() + b'", "ignored": "\xc0\x80"}',  # overlong NUL
        b'{"user_id": "' + b.id.encode() + b'", "\xed\xa0\x80": 1}',  # a surrogate, as UTF-8
        b"\xef\xbb\xbf" + b'{"user_id": "' + b.id.encode() + b'"}\xff',
    ):
        _refused(await http.post("/v1/friends/requests", content=raw, headers=a.auth))
    _refused(await http.post("/v1/users", content=b'{"username": "\x80abc", "password": "x"}'))


async def test_nul_is_refused_everywhere_on_both_engines(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    nul = "before\u0000after"
    cases = [
        ("POST", f"/v1/channels/{channel}/messages", {"client_msg_id": "m1", "text": nul}),
        ("POST", f"/v1/channels/{channel}/messages", {"client_msg_id": nul, "text": "x"}),
        ("PATCH", "/v1/me", {"status_text": nul}),
        ("PATCH", "/v1/me", {"avatar_url": "https://a.example/" + nul}),
        ("PATCH", "/v1/me", {"avatar_id": "a" + nul}),
        ("POST", "/v1/channels", {"kind": "group", "name": nul, "member_ids": [b.id]}),
        ("POST", "/v1/friends/requests", {"user_id": nul}),
        ("POST", "/v1/push/subscriptions", {"kind": "fcm", "token": nul}),
        ("POST", "/v1/sessions", {"username": a.username, "password": nul}),
        ("POST", "/v1/users", {"username": "x" + a.username, "password": "pass\u0000word"}),
        ("POST", "/v1/me/password", {"current_password": nul, "new_password": "long enough"}),
    ]
    for method, path, body in cases:
        _refused(await http.request(method, path, json=body, headers=a.auth))
    for path in (
        "/v1/users/u%00",
        "/v1/channels/%00/messages",
        "/v1/users?username=a%00b",
        f"/v1/presence?user_ids={b.id},%00",
        f"/v1/channels/{channel}/messages?before=1%00",
    ):
        _refused(await http.get(path, headers=a.auth))
    assert await api.history(http, a, channel) == []
    me = (await http.get("/v1/me", headers=a.auth)).json()
    assert me["status_text"] == "" and me["avatar_url"] == ""
    assert (await http.get("/v1/channels", headers=a.auth)).json()["channels"][0]["id"] == channel

    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    ws.send({"type": "send", "channel_id": channel, "client_msg_id": "w1", "text": nul})
    error = await ws.expect("error")
    assert error["code"] == "invalid_request" and error["ref"] == "w1"
    ws.send({"type": "typing", "channel_id": "c\u0000"})
    assert (await ws.expect("error"))["code"] == "invalid_request"
    ws.send({"type": "send", "channel_id": channel, "client_msg_id": "w2", "text": "fine"})
    assert (await ws.expect("sent"))["message_id"] == 1
    await ws.close()


async def test_hostile_frames_keep_the_socket(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, _, channel = await api.friends_in_chat(http)
    ws = await WsClient.connect(server.ws_url)
    await ws.hello(a.token)
    for raw in (
        b'{"type": "ping", "x": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        b"[" * DEEP + b"]" * DEEP,
        b'{"type": "read", "channel_id": "%s", "message_id": %d}' % (channel.encode(), 2**64),
        b'{"type": "sync", "cursor": %d}' % (10**30),
    ):
        ws.send(raw)
        assert (await ws.expect("error"))["code"] == "invalid_request"
    ws.send({"type": "ping"})
    await ws.expect("pong")
    await ws.close()
