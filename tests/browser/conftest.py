"""Browser fixtures: one real server (in a thread) and one headless Chromium per module.

The tests use Playwright's synchronous API in plain `def` tests: between its calls the sync
API marks its own event loop as running in the main thread, so the server runs on its own
loop in a thread (ThreadedServer) and nothing here is async.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from tests.browser.support import (
    CHROMIUM_ARGS,
    Backend,
    PageErrors,
    new_context,
    require_chromium,
)
from tests.helpers.server import RunningServer, ThreadedServer, test_settings

# Short real-time timings so presence and heartbeats change within a test's patience.
WEB_SETTINGS: dict[str, Any] = {
    "presence_grace": 0.5,
    "presence_timeout": 5.0,
    "heartbeat_interval": 1.0,
    "typing_interval": 0.5,
}

expect.set_options(timeout=10_000)


class WebServer(ThreadedServer):
    """ThreadedServer that also closes its event loop when done.

    ThreadedServer leaves its loop unclosed; the loop's ResourceWarning then fires whenever
    the garbage collector gets to it. With Playwright's greenlets holding references, that
    can be in the middle of pytest compiling a module at the end of the session, which on
    Python 3.11 ends in "SystemError: AST constructor recursion depth mismatch".
    """

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._loop.close()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_chromium()  # skip before starting anything
    settings = test_settings(tmp_path_factory.mktemp("web") / "data", **WEB_SETTINGS)
    with WebServer(settings) as running:
        yield running


@pytest.fixture(scope="module")
def backend(web: RunningServer) -> Iterator[Backend]:
    b = Backend(web.base_url)
    yield b
    b.close()


@pytest.fixture(scope="module")
def browser(web: RunningServer) -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert not errors.errors, "errors in the web client:\n" + "\n".join(errors.errors)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts (one per simulated device); all are closed after the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = new_context(browser, **options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
