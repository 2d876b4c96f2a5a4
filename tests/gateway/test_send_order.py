"""A device's messages are stored in the order it sent them, even when one of them has
to wait for a lookup first (the channel's first send, a reply, a mention) and the ones
after it would not."""

from __future__ import annotations

import httpx

from tests.helpers import api
from tests.helpers.server import RunningServer
from tests.helpers.wsclient import WsClient


async def test_sends_behind_a_slow_one_keep_their_order(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    a, b, channel = await api.friends_in_chat(http)
    wa = await WsClient.connect(server.ws_url)
    await wa.hello(a.token)
    n = 0

    def send(text: str, **extra: object) -> None:
        nonlocal n
        n += 1
        wa.send(
            {"type": "send", "channel_id": channel, "client_msg_id": f"m{n}", "text": text}
            | extra
        )

    # The channel's first send looks up its encryption; a reply looks up the message
    # it answers; a mention looks up the names. Each is followed at once by plain
    # sends that need no lookup.
    send("first of the channel")
    for i in range(8):
        send(f"plain {i}")
    send("a reply", reply_to=1)
    for i in range(8):
        send(f"after the reply {i}")
    send(f"hi @{b.username}")
    for i in range(8):
        send(f"after the mention {i}")
    acks: dict[str, int] = {}
    errors: list[dict[str, object]] = []
    while len(acks) + len(errors) < n:
        frame = await wa.recv()
        if frame["type"] == "sent":
            acks[frame["client_msg_id"]] = frame["message_id"]
        elif frame["type"] == "error":
            errors.append(frame)
    assert errors == []
    assert [acks[f"m{i}"] for i in range(1, n + 1)] == list(range(1, n + 1))
    texts = [m["text"] for m in await api.history(http, a, channel, limit=100)]
    assert texts[0] == "first of the channel" and texts[9] == "a reply"
    assert texts[18] == f"hi @{b.username}"
    await wa.close()
