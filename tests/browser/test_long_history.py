"""A conversation of 10,000 messages, all loaded into the page's model: the page holds only
the rows near the viewport, wherever it is scrolled to, and the far ends are all there."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from chinwag.messaging.models import Stored
from chinwag.messaging.service import MessagingService
from tests.browser.conftest import WEB_SETTINGS, WebServer
from tests.browser.support import Backend, PageErrors, login_ui, new_context, open_channel, tid
from tests.helpers.server import RunningServer, test_settings

pytestmark = pytest.mark.browser

TOTAL = 10_000
# A window is the viewport plus some overscan on each side: a few dozen rows, never
# hundreds (the bound leaves room for short messages on a tall screen).
MOST_ROWS = 120


class FillableServer(WebServer):
    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine on the server's own loop (its services live there)."""
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(120)


@pytest.fixture(scope="module")
def long_web(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FillableServer, RunningServer]]:
    # Setting the scene writes 10,000 messages far faster than a person could.
    settings = test_settings(
        tmp_path_factory.mktemp("long") / "data",
        sends_per_user_per_sec=1_000_000.0,
        send_burst=1_000_000,
        **WEB_SETTINGS,
    )
    server = FillableServer(settings)
    with server as running:
        yield server, running


async def fill(
    messaging: MessagingService,
    senders: list[str],
    channel: str,
    total: int = TOTAL,
    device: str = "fill",
) -> None:
    """`total` messages in order, alternating senders, through the service's send path
    (from `device`: a send is idempotent per device and client_msg_id)."""
    chunk = 500
    for start in range(0, total, chunk):
        pending: list[asyncio.Future[Stored]] = []
        for i in range(start, min(start + chunk, total)):
            # Each send reaches the writer's queue before the next is made (a yield, not a
            # wait): they are stored in order, so message ids follow i. The first and the
            # last are awaited alone, so that the two ends are those even on a busy machine.
            send = messaging.send(
                senders[1 if i % 3 == 0 else 0],
                device,
                channel,
                f"fill-{i}",
                f"number {i + 1}" + " and more" * (i % 9),
            )
            if i in (0, total - 1):
                await asyncio.gather(*pending)
                pending = []
                await send
                continue
            pending.append(asyncio.ensure_future(send))
            await asyncio.sleep(0)
        await asyncio.gather(*pending)


WINDOW = """() => {
  const s = document.querySelector('[data-testid=message-list]');
  const ids = [...document.querySelectorAll('[data-testid=message]')].map((e) => Number(e.dataset.messageId));
  return { ids, top: s.scrollTop, height: s.scrollHeight, view: s.clientHeight };
}"""


def window(page: Page) -> dict[str, Any]:
    w: dict[str, Any] = page.evaluate(WINDOW)
    return w


def test_ten_thousand_loaded_messages_keep_only_a_window_of_rows_in_the_page(
    long_web: tuple[FillableServer, RunningServer],
    browser: Browser,
    page_errors: PageErrors,
) -> None:
    server, running = long_web
    backend = Backend(running.base_url)
    a, b, channel = backend.friends_in_chat("Lena", "Milo")
    assert running.app.services is not None
    messaging = running.app.services.messaging
    server.run(fill(messaging, [b.id, a.id], channel))

    context: BrowserContext = new_context(browser)
    try:
        page = login_ui(page_errors.watch(context.new_page(), "lena"), running.base_url, a)
        open_channel(page, channel)
        expect(tid(page, "message-text").last).to_have_text(
            "number 10000" + " and more" * (9999 % 9)
        )

        # Load the whole conversation: scroll to the top until its start has arrived.
        status = tid(page, "history-status")
        page.wait_for_function(
            """() => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0;
                s.dispatchEvent(new Event('scroll'));
                return document.querySelector('[data-testid=history-status]').textContent
                    === 'This is the start of the conversation.';
            }""",
            polling=50,
            timeout=120_000,
        )
        expect(status).to_have_text("This is the start of the conversation.")
        # The last page arriving kept the view where it was; back at the very top now.
        page.wait_for_function(
            """() => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0;
                return document.querySelector('[data-testid=message]').dataset.messageId === '1';
            }""",
            polling=100,
        )
        expect(tid(page, "message-text").first).to_have_text("number 1")
        at_top = window(page)
        assert at_top["ids"][0] == 1
        assert len(at_top["ids"]) <= MOST_ROWS, f"{len(at_top['ids'])} rows in the page"
        # The padding stands in for the rows not in the page: every one takes room.
        assert at_top["height"] > TOTAL * 20

        # Anywhere in the middle: a short run of consecutive messages around the viewport.
        for fraction in (0.25, 0.5, 0.75):
            page.evaluate(
                "(f) => { const s = document.querySelector('[data-testid=message-list]');"
                " s.scrollTop = (s.scrollHeight - s.clientHeight) * f; }",
                fraction,
            )
            page.wait_for_function(
                """(f) => {
                    const ids = [...document.querySelectorAll('[data-testid=message]')]
                        .map((e) => Number(e.dataset.messageId));
                    return ids.length > 0 && ids[0] > 10000 * f - 1000 && ids[0] < 10000 * f + 1000;
                }""",
                arg=fraction,
            )
            w = window(page)
            assert 0 < len(w["ids"]) <= MOST_ROWS, f"{len(w['ids'])} rows at {fraction}"
            assert w["ids"] == list(range(w["ids"][0], w["ids"][0] + len(w["ids"])))

        # The newest end is all there too.
        page.evaluate(
            "() => { const s = document.querySelector('[data-testid=message-list]');"
            " s.scrollTop = s.scrollHeight; }"
        )
        expect(tid(page, "message-text").last).to_have_text(
            "number 10000" + " and more" * (9999 % 9)
        )
        w = window(page)
        assert w["ids"][-1] == TOTAL and len(w["ids"]) <= MOST_ROWS
    finally:
        context.close()
        backend.close()
