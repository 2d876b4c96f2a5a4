"""A raw WebSocket test client: send any bytes, read frames one by one, see close codes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect


class _Listener(WSListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self.pongs = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self.frames.put_nowait(json.loads(frame.get_payload_as_bytes()))
        elif frame.msg_type == WSMsgType.PONG:
            self.pongs += 1
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = int(frame.get_close_code())
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed.set()


class WsClient:
    def __init__(self, transport: WSTransport, listener: _Listener) -> None:
        self.transport = transport
        self.listener = listener
        self.stash: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> WsClient:
        transport, listener = await ws_connect(_Listener, url, **kwargs)
        return cls(transport, listener)

    def send(self, frame: dict[str, Any] | bytes | str) -> None:
        if isinstance(frame, dict):
            data = json.dumps(frame).encode()
        elif isinstance(frame, str):
            data = frame.encode()
        else:
            data = frame
        self.transport.send(WSMsgType.TEXT, data)

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.listener.frames.get(), timeout)

    async def expect(
        self,
        type_: str,
        timeout: float = 5.0,
        skip: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The next frame of `type_`, in order among frames of that type. Frames of
        other types are kept aside for later `expect` calls (never lost)."""
        for i, frame in enumerate(self.stash):
            if frame["type"] == type_:
                del self.stash[i]
                return frame
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == type_:
                return frame
            if frame["type"] not in skip:
                self.stash.append(frame)

    async def hello(self, token: str, cursor: int | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello", "token": token}
        if cursor is not None:
            frame["cursor"] = cursor
        self.send(frame)
        return await self.expect("welcome")

    async def closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(self.listener.closed.wait(), timeout)
        return self.listener.close_code

    def pending(self, ignore: tuple[str, ...] = ("presence",)) -> list[dict[str, Any]]:
        """Frames received and not yet taken, leaving out `ignore`d types."""
        out = [f for f in self.stash if f["type"] not in ignore]
        self.stash.clear()
        while not self.listener.frames.empty():
            frame = self.listener.frames.get_nowait()
            if frame["type"] not in ignore:
                out.append(frame)
        return out

    async def close(self) -> None:
        if not self.transport.is_disconnected:
            self.transport.send_close()
            self.transport.disconnect()
        await asyncio.wait_for(self.listener.closed.wait(), 5)
