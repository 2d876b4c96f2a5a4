"""The whole friend flow over HTTP, with its error cases, and the frames it sends."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def test_friend_flow(server: RunningServer, http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    r = await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)
    assert r.status_code == 201
    req = r.json()
    assert req["from_user_id"] == a.id and req["to_user_id"] == b.id
    frame = await wb.expect("friend", skip=("presence",))
    assert frame["event"] == "request" and frame["user"]["id"] == a.id

    inc = (await http.get("/v1/friends/requests", headers=b.auth)).json()
    assert [r["id"] for r in inc["incoming"]] == [req["id"]] and inc["outgoing"] == []
    out = (await http.get("/v1/friends/requests", headers=a.auth)).json()
    assert [r["id"] for r in out["outgoing"]] == [req["id"]]

    # Only the recipient may accept.
    r = await http.post(f"/v1/friends/requests/{req['id']}/accept", headers=a.auth)
    assert r.status_code in (403, 404)
    stranger = await api.signup(http)
    r = await http.post(f"/v1/friends/requests/{req['id']}/accept", headers=stranger.auth)
    assert r.status_code in (403, 404)

    r = await http.post(f"/v1/friends/requests/{req['id']}/accept", headers=b.auth)
    assert r.status_code == 200 and r.json()["friend"]["id"] == a.id
    friends_a = (await http.get("/v1/friends", headers=a.auth)).json()["friends"]
    assert [f["user"]["id"] for f in friends_a] == [b.id]
    assert friends_a[0]["presence"]["status"] == "online"  # b has a socket open
    friends_b = (await http.get("/v1/friends", headers=b.auth)).json()["friends"]
    assert [f["user"]["id"] for f in friends_b] == [a.id]
    assert friends_b[0]["presence"]["status"] == "offline"
    assert (await http.get("/v1/friends/requests", headers=b.auth)).json()["incoming"] == []

    # Already friends: a new request is a conflict, either way.
    for x, y in ((a, b), (b, a)):
        r = await http.post("/v1/friends/requests", json={"user_id": y.id}, headers=x.auth)
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"

    r = await http.delete(f"/v1/friends/{b.id}", headers=a.auth)
    assert r.status_code == 204
    assert (await http.get("/v1/friends", headers=b.auth)).json()["friends"] == []
    r = await http.delete(f"/v1/friends/{b.id}", headers=a.auth)
    assert r.status_code == 404
    await wb.close()


async def test_request_errors(http: httpx.AsyncClient) -> None:
    a, b = await api.signup(http), await api.signup(http)
    r = await http.post("/v1/friends/requests", json={"user_id": a.id}, headers=a.auth)
    assert r.status_code == 400 and "yourself" in r.json()["error"]["message"]
    r = await http.post("/v1/friends/requests", json={"user_id": "uNoSuchUser"}, headers=a.auth)
    assert r.status_code == 404
    r = await http.post("/v1/friends/requests", json={"user": b.id}, headers=a.auth)
    assert r.status_code == 400
    assert (
        await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)
    ).status_code == 201
    dup = await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)
    assert dup.status_code == 409
    reverse = await http.post("/v1/friends/requests", json={"user_id": a.id}, headers=b.auth)
    assert reverse.status_code == 409
    r = await http.post("/v1/friends/requests/fNoSuch/accept", headers=b.auth)
    assert r.status_code == 404


async def test_decline_and_withdraw(http: httpx.AsyncClient) -> None:
    a, b, c = await api.signup(http), await api.signup(http), await api.signup(http)
    r1 = (await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)).json()
    r = await http.post(f"/v1/friends/requests/{r1['id']}/decline", headers=c.auth)
    assert r.status_code == 404
    r = await http.post(f"/v1/friends/requests/{r1['id']}/decline", headers=b.auth)
    assert r.status_code == 204
    assert (await http.get("/v1/friends/requests", headers=a.auth)).json()["outgoing"] == []
    assert (await http.get("/v1/friends", headers=a.auth)).json()["friends"] == []
    # A declined request can be sent again; the sender may withdraw it.
    r2 = (await http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)).json()
    assert (
        await http.post(f"/v1/friends/requests/{r2['id']}/decline", headers=a.auth)
    ).status_code == 204
    assert (await http.get("/v1/friends/requests", headers=b.auth)).json()["incoming"] == []
