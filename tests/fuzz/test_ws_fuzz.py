"""Every client frame under hostile input, through a real gateway on each engine: raw
bytes and hostile JSON as text (whole or in fragments) and binary frames, before hello
and after. The socket answers with `error` frames or closes with a documented code;
never 1011, never a dropped connection, and the server keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from picows import WSMsgType

from tests.fuzz import hostile
from tests.helpers.server import RunningServer, ThreadedServer, test_settings
from tests.helpers.wsclient import WsClient

# Closes a client may earn by what it sends (docs/protocol.md, close codes).
EARNED = {1002, 1007, 1009, 4000, 4008}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "send", "sync", "ping", "typing", "read", "nope"])},
    optional={
        k: json_values
        for k in ("token", "cursor", "channel_id", "client_msg_id", "text", "message_id")
    },
)
payloads = hostile.raw(frames)


class Gateway:
    """A server for the module, and a client loop in the test's thread."""

    def __init__(self, srv: RunningServer) -> None:
        self.srv = srv
        self.loop = asyncio.new_event_loop()
        http = httpx.Client(base_url=srv.base_url)
        http.post("/v1/users", json={"username": "wsfuzz", "password": "fuzz-password"})
        r = http.post("/v1/sessions", json={"username": "wsfuzz", "password": "fuzz-password"})
        self.token = r.json()["token"]
        self.channel = "cNoSuchChannel"
        http.close()

    def run(self, coro: object) -> object:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, engine_url: str) -> Iterator[Gateway]:
    data: Path = tmp_path_factory.mktemp("wsfuzz")
    settings_ = test_settings(data, engine_url, frames_per_sec=100_000, max_frame_bytes=1 << 16)
    with ThreadedServer(settings_) as srv:
        gw = Gateway(srv)
        yield gw
        gw.loop.close()


ALIVE, DROPPED = -1, -2


async def _outcome(ws: WsClient) -> int:
    """After the probe, a ping: ALIVE when it is answered, else the close code the
    server sent (DROPPED when it closed without one)."""
    if not ws.listener.closed.is_set():
        ws.send({"type": "ping"})
        pong = asyncio.ensure_future(ws.expect("pong", timeout=10))
        closed = asyncio.ensure_future(ws.listener.closed.wait())
        done, _ = await asyncio.wait(
            {pong, closed}, timeout=10, return_when=asyncio.FIRST_COMPLETED
        )
        for task in (pong, closed):
            task.cancel()
        assert done, "no answer and no close"
        if pong in done and not pong.cancelled() and pong.exception() is None:
            return ALIVE
        await asyncio.wait_for(ws.listener.closed.wait(), 10)
    code = ws.listener.close_code
    return DROPPED if code is None else code


async def _probe(gw: Gateway, payload: bytes, how: str, live: bool) -> None:
    ws = await WsClient.connect(gw.srv.ws_url)
    try:
        if live:
            await ws.hello(gw.token)
        if how == "text":
            ws.transport.send(WSMsgType.TEXT, payload)
        elif how == "binary":
            ws.transport.send(WSMsgType.BINARY, payload)
        else:  # the same bytes in two fragments, cut anywhere (even inside a character)
            cut = len(payload) // 2
            ws.transport.send(WSMsgType.TEXT, payload[:cut], fin=False)
            ws.transport.send(WSMsgType.CONTINUATION, payload[cut:], fin=True)
        outcome = await _outcome(ws)
        if live:
            assert outcome == ALIVE or outcome in EARNED, (outcome, payload[:200])
        else:
            # Before hello nothing but a hello is taken, and a made-up token is refused.
            assert outcome in EARNED | {4001}, (outcome, payload[:200])
    finally:
        await ws.close()


@pytest.mark.parametrize("live", [False, True], ids=["before-hello", "live"])
def test_frames_never_break_the_gateway(gateway: Gateway, live: bool) -> None:
    @FUZZ
    @given(payload=payloads, how=st.sampled_from(["text", "binary", "fragments"]))
    def probe(payload: bytes, how: str) -> None:
        gateway.run(_probe(gateway, payload, how, live))

    probe()
    # And the server still serves.
    assert httpx.get(gateway.srv.base_url + "/healthz").status_code == 200
