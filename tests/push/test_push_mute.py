"""A muted channel pushes nothing, except a message that mentions the muted user."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.push.push_servers import AsgiServers, Hooks
from tests.push.test_push_e2e import SECRET, _hook, chat

__all__ = ["chat"]


async def test_muted_channel_pushes_only_mentions(
    chat: RunningServer, servers: AsgiServers
) -> None:
    hooks = Hooks(SECRET.encode())
    await hooks.start(servers)
    async with httpx.AsyncClient(base_url=chat.base_url) as http:
        a, b, c = [await api.signup(http) for _ in range(3)]
        await api.befriend(http, a, b)
        await api.befriend(http, c, b)
        muted, loud = await api.direct(http, a, b), await api.direct(http, c, b)
        await _hook(http, b, hooks, "b")
        assert (await http.put(f"/v1/channels/{muted}/mute", headers=b.auth)).status_code == 204

        async def send(user: api.TestUser, channel: str, cid: str, text: str) -> None:
            r = await http.post(
                f"/v1/channels/{channel}/messages",
                json={"client_msg_id": cid, "text": text},
                headers=user.auth,
            )
            assert r.status_code == 201

        await send(a, muted, "m1", "plain, and @someone_else")
        await send(c, loud, "l1", "plain")
        # The loud channel's push, due after the muted one's, shows the sweep has passed.
        await wait_for(lambda: len(hooks.notes("b")) >= 1, timeout=10)
        assert [n["channel_id"] for n in hooks.notes("b")] == [loud]
        await send(a, muted, "m2", f"hey @{b.username.upper()}!")
        await wait_for(lambda: len(hooks.notes("b")) >= 2, timeout=10)
        assert hooks.notes("b")[1] == {
            "channel_id": muted,
            "sender_id": a.id,
            "sender_name": a.username,
            "count": 1,
        }
        # Unread counts move regardless.
        listed = (await http.get("/v1/channels", headers=b.auth)).json()["channels"]
        assert {c["id"]: c["unread_count"] for c in listed}[muted] == 2
        assert hooks.errors == []
