"""A device's messages are stored in the order it sent them, even when one of them has
to wait for a lookup first (the channel's first send, a reply, a mention) and the ones
after it would not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from chinwag.errors import ChinwagError
from chinwag.messaging.models import Stored
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
            {"type": "send", "channel_id": channel, "client_msg_id": f"m{n}", "text": text} | extra
        )

    acks: dict[str, int] = {}
    errors: list[dict[str, object]] = []

    async def answers() -> None:
        while len(acks) + len(errors) < n:
            frame = await wa.recv()
            if frame["type"] == "sent":
                acks[frame["client_msg_id"]] = frame["message_id"]
            elif frame["type"] == "error":
                errors.append(frame)

    # The channel's first send looks up its encryption; a reply looks up the message
    # it answers (one the client has seen acknowledged); a mention looks up the names.
    # Each is followed at once by plain sends that need no lookup.
    send("first of the channel")
    for i in range(8):
        send(f"plain {i}")
    await answers()
    send("a reply", reply_to=1)
    for i in range(8):
        send(f"after the reply {i}")
    send(f"hi @{b.username}")
    for i in range(8):
        send(f"after the mention {i}")
    await answers()
    assert errors == []
    assert [acks[f"m{i}"] for i in range(1, n + 1)] == list(range(1, n + 1))
    texts = [m["text"] for m in await api.history(http, a, channel, limit=100)]
    assert texts[0] == "first of the channel" and texts[9] == "a reply"
    assert texts[18] == f"hi @{b.username}"
    await wa.close()


async def test_sends_submitted_in_one_turn_behind_a_slow_one_keep_their_order(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    """What the gateway does with frames that arrive together: all submitted in one turn
    of the loop, a reply (which looks up the message it answers) first."""
    a, b, channel = await api.friends_in_chat(http)
    messaging = server.app.services.messaging
    outcomes: dict[str, int | str] = {}
    done = asyncio.Event()

    def on_done(key: str) -> Callable[[Stored | ChinwagError], None]:
        def record(outcome: Stored | ChinwagError) -> None:
            outcomes[key] = (
                outcome.message.message_id if isinstance(outcome, Stored) else outcome.code
            )
            if len(outcomes) == total:
                done.set()

        return record

    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "first", "text": "the first"},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    first = r.json()["message_id"]
    keys = (
        ["reply"] + [f"plain{i}" for i in range(8)] + ["mention"] + [f"late{i}" for i in range(8)]
    )
    total = len(keys)
    for key in keys:
        messaging.submit(
            a.id,
            a.device_id,
            channel,
            key,
            f"hi @{b.username}" if key == "mention" else key,
            on_done(key),
            reply_to=first if key == "reply" else None,
        )
    await asyncio.wait_for(done.wait(), 10)
    assert [outcomes[k] for k in keys] == list(range(2, 2 + total))
