"""The conversation between the coordinator and each shard, and what carries it.

Messages are msgspec Structs tagged by type. Between processes they travel msgpack-encoded
over the socket of a multiprocessing pipe, as an asyncio stream (no thread); in
one process the same objects go through asyncio queues unchanged, so a shard's code is the
same in both cases.
"""

from __future__ import annotations

import asyncio
import os
import socket
from multiprocessing.connection import Connection
from typing import Protocol

import msgspec


class Ready(msgspec.Struct, tag=True):
    """All of a shard's sockets are open and greeted (or, for reconnect, closed again)."""

    connected: int
    failed: int
    seconds: float


class Go(msgspec.Struct, tag=True):
    """Start at `start_ns`, stop sending at `stop_ns` (0: when the counts are sent).
    Times are time.monotonic_ns(), one clock for every process on Linux."""

    start_ns: int
    stop_ns: int
    expect: dict[str, int] = {}  # channel -> last message id to expect (reconnect)


class Progress(msgspec.Struct, tag=True):
    """Running totals, sent every second; `peak_us` is the highest latency since the last."""

    sent: int
    acked: int
    delivered: int
    connected: int
    synced: int
    peak_us: int = 0


class SendDone(msgspec.Struct, tag=True):
    """A shard's senders are finished: per channel [acks, highest acked message id]."""

    acks: dict[str, list[int]]
    unacked: int


class Expect(msgspec.Struct, tag=True):
    """Every channel's highest acknowledged message id, across all shards."""

    last_ids: dict[str, int]


class ShardResult(msgspec.Struct, tag=True):
    """Everything a shard measured and checked."""

    sent: int = 0
    acked: int = 0
    delivered: int = 0
    echoes: int = 0
    received: int = 0
    foreign: int = 0
    connected: int = 0
    synced: int = 0
    connect_failures: int = 0
    resets: int = 0
    unexpected_closes: int = 0
    close_codes: dict[str, int] = {}
    errors: dict[str, int] = {}
    examples: list[str] = []
    unacked: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    cursor_gaps: int = 0
    cursor_duplicates: int = 0
    cursor_out_of_order: int = 0
    timed_out: bool = False
    cpu_s: float = 0.0
    rss_bytes: int = 0
    connect_s: float = 0.0
    end_ns: int = 0  # last delivery completing the expectation, or last sync
    latencies: bytes = b""  # array('q') of microseconds, native byte order


Message = Ready | Go | Progress | SendDone | Expect | ShardResult

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Message).decode  # type: ignore[arg-type]


class Link(Protocol):
    """One end of the conversation."""

    def send(self, message: Message) -> None: ...

    async def recv(self) -> Message: ...

    async def aclose(self) -> None: ...


class QueueLink:
    """In-process end: objects through asyncio queues."""

    def __init__(self, inbox: asyncio.Queue[Message], outbox: asyncio.Queue[Message]) -> None:
        self._inbox = inbox
        self._outbox = outbox

    @classmethod
    def pair(cls) -> tuple[QueueLink, QueueLink]:
        a: asyncio.Queue[Message] = asyncio.Queue()
        b: asyncio.Queue[Message] = asyncio.Queue()
        return cls(a, b), cls(b, a)

    def send(self, message: Message) -> None:
        self._outbox.put_nowait(message)

    async def recv(self) -> Message:
        return await self._inbox.get()

    async def aclose(self) -> None:
        pass


class StreamLink:
    """Cross-process end: length-prefixed msgpack over the pipe's socket, as an asyncio
    stream, so a multi-megabyte result never blocks either event loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, conn: Connection) -> StreamLink:
        """Take over a multiprocessing pipe end (a Unix socket on Linux)."""
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        conn.close()
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        return cls(reader, writer)

    def send(self, message: Message) -> None:
        data = _encode(message)
        self._writer.write(len(data).to_bytes(4, "big") + data)

    async def recv(self) -> Message:
        try:
            size = int.from_bytes(await self._reader.readexactly(4), "big")
            body = await self._reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise EOFError("the other process went away") from None
        message: Message = _decode(body)
        return message

    async def aclose(self) -> None:
        """Flush what was sent, then close."""
        try:
            await self._writer.drain()
            self._writer.close()
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass
