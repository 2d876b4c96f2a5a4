"""A real chinwag server on a random port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from chinwag.app import App
from chinwag.config import Settings
from chinwag.server import bind, uvicorn_config

FAST = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 8,
    "login_per_account_per_min": 1000,
    "login_per_address_per_min": 100_000,
    "signup_per_address_per_min": 100_000,
    "log_level": "warning",
    "drain_seconds": 0.0,
}


def test_settings(data_dir: Path, store: str = "", **overrides: Any) -> Settings:
    values: dict[str, Any] = {**FAST, "data_dir": str(data_dir), "store": store, "port": 0}
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@dataclass
class RunningServer:
    app: App
    port: int
    server: uvicorn.Server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"


@contextlib.asynccontextmanager
async def run_server(settings: Settings, **app_options: Any) -> AsyncIterator[RunningServer]:
    """`app_options` go to `App` (e.g. `resolver=` for push's address guard)."""
    app = App(settings, **app_options)
    config = uvicorn_config(app, loop="asyncio")
    server = uvicorn.Server(config)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app.listening("127.0.0.1", port)
    # _serve: as serve(), without taking over the test process's signal handlers.
    task = asyncio.create_task(server._serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield RunningServer(app, port, server)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


class ThreadedServer:
    """A real server on its own event loop in a thread, for synchronous tests (hypothesis)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: RunningServer | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with run_server(self.settings) as srv:
            self.running = srv
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> RunningServer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("server did not start")
        assert self.running is not None
        return self.running

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self._loop.close()
