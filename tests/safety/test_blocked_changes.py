"""A block closes the direct channel to replies, edits and new reactions (both ways);
deleting and taking one's reaction back stay allowed."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.messages.test_changes import _send


async def test_block_closes_direct_channel_to_changes(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, cid = await api.friends_in_chat(http)
    mine = await _send(http, a, cid, "from a")
    theirs = await _send(http, b, cid, "from b")
    base = f"/v1/channels/{cid}/messages"
    r = await http.put(f"{base}/{mine['message_id']}/reactions/ok", headers=b.auth)
    assert r.status_code == 204
    assert (await http.put(f"/v1/blocks/{b.id}", headers=a.auth)).status_code == 204

    for user, other in ((b, mine), (a, theirs)):
        r = await http.put(f"{base}/{other['message_id']}/reactions/no", headers=user.auth)
        assert r.status_code == 403, r.text
        r = await http.post(
            base,
            json={"client_msg_id": api.unique_name("r"), "text": "re", "reply_to": 1},
            headers=user.auth,
        )
        assert r.status_code == 403, r.text
    r = await http.patch(f"{base}/{theirs['message_id']}", json={"text": "x"}, headers=b.auth)
    assert r.status_code == 403, r.text
    # Taking a reaction back and deleting one's own message stay allowed.
    r = await http.delete(f"{base}/{mine['message_id']}/reactions/ok", headers=b.auth)
    assert r.status_code == 204
    assert (await http.delete(f"{base}/{theirs['message_id']}", headers=b.auth)).status_code == 204
    first, second = await api.history(http, a, cid)
    assert first["reactions"] == {} and first["text"] == "from a"
    assert second["deleted"] is True
