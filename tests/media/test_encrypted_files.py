"""Files in an end-to-end encrypted channel: the client uploads its ciphertext and lists
the uploads beside `encrypted`; the server links them as for any message."""

from __future__ import annotations

import os

import httpx

from tests.e2ee.keys import megolm
from tests.helpers import api


async def test_an_encrypted_message_carries_its_uploads_to_the_members(
    http: httpx.AsyncClient,
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    r = await http.post(
        "/v1/channels", json={"kind": "direct", "user_id": b.id, "encrypted": True}, headers=a.auth
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    ciphertext = os.urandom(5000)
    r = await http.post(
        "/v1/uploads", params={"filename": "blob"}, content=ciphertext, headers=a.auth
    )
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    path = f"/v1/attachments/{file_id}"
    assert (await http.get(path, headers=b.auth)).status_code == 404

    # Files alone are plaintext's shape: refused in an encrypted channel.
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "f1", "attachment_ids": [file_id]},
        headers=a.auth,
    )
    assert r.status_code == 400 and "encrypted" in r.json()["error"]["message"]

    body = megolm("AwgAEhAbCdEf+/")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "e1", "encrypted": body, "attachment_ids": [file_id]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["encrypted"] == body and r.json()["text"] == ""
    assert [f["id"] for f in r.json()["attachments"]] == [file_id]
    [stored] = await api.history(http, b, cid)
    assert stored["encrypted"] == body
    assert [f["id"] for f in stored["attachments"]] == [file_id]
    got = await http.get(path, headers=b.auth)
    assert got.status_code == 200 and got.content == ciphertext
