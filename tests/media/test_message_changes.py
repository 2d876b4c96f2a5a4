"""Attachments and message changes, on both engines: an edit or a reaction keeps the
files (in the answer, the `update` frame and history); a delete unlinks them, so no
member can download them through the deleted message."""

from __future__ import annotations

import httpx

from tests.helpers.api import friends_in_chat, history
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient
from tests.media import files
from tests.media.test_uploads import uploaded


async def test_changes_keep_files_and_a_delete_unlinks_them(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a, b, cid = await friends_in_chat(http)
    pic = await uploaded(http, a, files.png(64, 48), "pic.png")
    doc = await uploaded(http, a, b"plain words " * 50, "notes.txt")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "f1", "text": "look", "attachment_ids": [pic["id"], doc["id"]]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    mid = r.json()["message_id"]
    ids = [pic["id"], doc["id"]]
    for att in ids:
        assert (await http.get(f"/v1/attachments/{att}", headers=b.auth)).status_code == 200

    wb = await WsClient.connect(server.ws_url)
    await wb.hello(b.token)
    path = f"/v1/channels/{cid}/messages/{mid}"
    r = await http.patch(path, json={"text": "look again"}, headers=a.auth)
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["attachments"]] == ids
    update = await wb.expect("update", skip=("presence", "message"))
    assert update["event"] == "edited"
    assert [x["id"] for x in update["message"]["attachments"]] == ids
    assert (await http.put(f"{path}/reactions/ok", headers=b.auth)).status_code == 204
    update = await wb.expect("update", skip=("presence", "message"))
    assert update["event"] == "reaction"
    assert [x["id"] for x in update["message"]["attachments"]] == ids

    assert (await http.delete(path, headers=a.auth)).status_code == 204
    update = await wb.expect("update", skip=("presence", "message"))
    assert update["event"] == "deleted" and update["message"]["attachments"] == []
    [gone] = await history(http, b, cid)
    assert gone["deleted"] is True and gone["attachments"] == []
    for att in ids:
        r = await http.get(f"/v1/attachments/{att}", headers=b.auth)
        assert r.status_code == 404, r.text
        r = await http.get(f"/v1/attachments/{att}/thumbnail", headers=b.auth)
        assert r.status_code == 404
    # The uploader keeps their own upload until the sweep of unsent uploads takes it.
    assert (await http.get(f"/v1/attachments/{pic['id']}", headers=a.auth)).status_code == 200
    await wb.close()


async def test_an_edit_may_clear_or_set_the_text_of_a_message_with_files(
    http: httpx.AsyncClient,
) -> None:
    a, b, cid = await friends_in_chat(http)
    pic = await uploaded(http, a, files.png(32, 32), "pic.png")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "f1", "text": "", "attachment_ids": [pic["id"]]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    path = f"/v1/channels/{cid}/messages/{r.json()['message_id']}"
    # An attachment-only message takes a text, and gives it up again: its file stays.
    for text in ("a caption", "", "another caption"):
        r = await http.patch(path, json={"text": text}, headers=a.auth)
        assert r.status_code == 200, r.text
        assert r.json()["text"] == text
        assert [x["id"] for x in r.json()["attachments"]] == [pic["id"]]
        assert r.json()["edited_at"] is not None
    [shown] = await history(http, b, cid)
    assert shown["text"] == "another caption" and len(shown["attachments"]) == 1

    # A message with no files must keep a text: nothing changes.
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "t1", "text": "words"},
        headers=a.auth,
    )
    plain = f"/v1/channels/{cid}/messages/{r.json()['message_id']}"
    r = await http.patch(plain, json={"text": ""}, headers=a.auth)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    assert [m["text"] for m in await history(http, b, cid)] == ["another caption", "words"]
