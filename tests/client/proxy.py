"""A TCP proxy in front of a test server, to make the network misbehave on cue.

`mute()` stops passing the server's bytes to the WebSocket clients connected at that
moment (the server still gets theirs), and `cut()` drops every connection. Together they make
"stored but never acknowledged" without touching the server's insides.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class Proxy:
    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._muted: set[asyncio.StreamWriter] = set()
        self._websockets: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.close()
            return
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            first = await reader.read(65536)
            if first.startswith(b"GET /v1/ws"):
                self._websockets.add(writer)
            up_writer.write(first)
            await asyncio.gather(
                self._pump(reader, up_writer, to_client=None),
                self._pump(up_reader, writer, to_client=writer),
            )
        finally:
            self._pairs.discard(pair)
            self._muted.discard(writer)
            self._websockets.discard(writer)
            for w in pair:
                w.close()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        to_client: asyncio.StreamWriter | None,
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if to_client is not None and to_client in self._muted:
                    continue
                writer.write(data)
                await writer.drain()
        writer.close()

    def mute(self) -> None:
        self._muted.update(client for client, _ in self._pairs if client in self._websockets)

    def cut(self) -> None:
        for client, upstream in list(self._pairs):
            client.transport.abort()
            upstream.transport.abort()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Proxy]:
        def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.create_task(self._accept(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            self.cut()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()
