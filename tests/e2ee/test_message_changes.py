"""Replies, edits, reactions, deletes and search in encrypted channels, on both engines:
ciphertext is never indexed or found, no message there can be edited, the rest works."""

from __future__ import annotations

import httpx

from tests.e2ee.keys import megolm
from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.messages.test_changes import _send


async def _found(http: httpx.AsyncClient, user: api.TestUser, q: str) -> list[int]:
    r = await http.get("/v1/search", params={"q": q}, headers=user.auth)
    assert r.status_code == 200, r.text
    return [m["message_id"] for m in r.json()["results"]]


async def test_encrypted_channel_changes_and_search(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, cid = await api.friends_in_chat(http)
    plain = await _send(http, a, cid, "before the secret began")
    r = await http.patch(f"/v1/channels/{cid}", json={"encrypted": True}, headers=a.auth)
    assert r.status_code == 200, r.text
    body = megolm("QmVmb3JlU2VjcmV0Q2lwaGVy", session="sessionWord")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "e1", "encrypted": body, "reply_to": plain["message_id"]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    secret = r.json()
    assert secret["reply_to"] == plain["message_id"] and secret["mentions"] == []

    # Search finds the plaintext, never any part of the stored encrypted body.
    assert await _found(http, b, "secret began") == [plain["message_id"]]
    for q in ("megolm", "aes-sha2", "QmVmb3JlU2Vj", "sessionWord", "curveA", "algorithm"):
        assert await _found(http, b, q) == [], q
        assert await _found(http, a, q) == [], q

    # No edit there: neither of the encrypted message nor of the older plaintext one.
    for mid in (secret["message_id"], plain["message_id"]):
        r = await http.patch(
            f"/v1/channels/{cid}/messages/{mid}", json={"text": "changed"}, headers=a.auth
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_request"
        assert "encrypted" in r.json()["error"]["message"]
    [first, second] = await api.history(http, b, cid)
    assert first["text"] == "before the secret began" and first["edited_at"] is None
    assert second["encrypted"] == body and second["edited_at"] is None

    # Reactions and deletes work as anywhere.
    path = f"/v1/channels/{cid}/messages/{secret['message_id']}"
    assert (await http.put(f"{path}/reactions/ok", headers=b.auth)).status_code == 204
    [_, reacted] = await api.history(http, a, cid)
    assert reacted["reactions"] == {"ok": [b.id]} and reacted["encrypted"] == body
    assert (await http.delete(path, headers=a.auth)).status_code == 204
    [_, gone] = await api.history(http, b, cid)
    assert gone["deleted"] is True and "encrypted" not in gone and gone["text"] == ""
