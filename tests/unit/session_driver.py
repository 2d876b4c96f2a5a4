"""Drives a `Session` with no socket: feeds it events, reads its actions and frames."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from chinwag import wire
from chinwag.gateway import actions as act
from chinwag.gateway.session import TEXT, Session, SessionConfig
from chinwag.messaging.models import InboxEntry, Message
from chinwag.protocol import codec

A = TypeVar("A")

CONFIG = SessionConfig(
    limits=codec.Limits(),
    gateway_id="gw-test",
    heartbeat_interval=30.0,
    hello_timeout=10.0,
    frames_per_sec=1000,
    max_frame_bytes=1 << 20,
    sync_backlog_limit=10_000,
    send_buffer_bytes=1 << 20,
)


def message(n: int, channel_id: str = "c1") -> Message:
    return Message(channel_id, n, "u-sender", f"text {n}", 1_700_000_000_000 + n, f"m{n}")


def entry(seq: int) -> InboxEntry:
    return InboxEntry(seq, message(seq))


def live(seq: int) -> bytes:
    """The frame the bus carries for inbox entry `seq`."""
    return codec.message_frame(wire.message_json(message(seq)), seq)


def large(n: int, channel_id: str = "g1") -> bytes:
    return codec.message_frame(wire.message_json(message(n, channel_id)), None)


class Driver:
    def __init__(self, config: SessionConfig = CONFIG) -> None:
        self.now = 0.0
        self.session = Session(config, self.now)
        self.session.connected()

    # -- events ------------------------------------------------------------------------

    def text(self, obj: dict[str, Any] | bytes) -> None:
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.frame(TEXT, data)

    def frame(self, opcode: int, payload: bytes, *, fin: bool = True, rsv: bool = False) -> None:
        self.session.receive_frame(opcode, fin, rsv, payload, self.now)

    def hello(self, cursor: int | None = None) -> None:
        obj: dict[str, Any] = {"type": "hello", "token": "tok"}
        if cursor is not None:
            obj["cursor"] = cursor
        self.text(obj)

    def welcome(self, head: int, groups: list[tuple[str, int]] | None = None) -> None:
        self.session.authenticated("u1", "d1", head, groups or [])

    def live_session(self, head: int = 0) -> None:
        """Hello without a cursor, welcomed at `head`; what it produced is taken."""
        self.hello()
        self.welcome(head)
        self.take()
        self.frames()

    # -- what came out ----------------------------------------------------------------

    def take(self) -> list[act.Action]:
        """The actions asked for since the last call."""
        out = list(self.session.actions)
        self.session.actions.clear()
        return out

    def only(self, kind: type[A]) -> list[A]:
        return [a for a in self.take() if isinstance(a, kind)]

    def frames(self) -> list[dict[str, Any]]:
        """The frames written since the last call, decoded (every other chunk is a
        WebSocket header)."""
        chunks = self.session.data_to_send()
        assert len(chunks) % 2 == 0
        return [json.loads(payload) for payload in chunks[1::2]]

    def types(self) -> list[str]:
        return [f["type"] for f in self.frames()]

    def cursors(self) -> list[int | None]:
        return [f["cursor"] for f in self.frames() if f["type"] == "message"]
