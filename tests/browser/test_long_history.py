"""A conversation of 10,000 messages, all loaded into the page's model: the page holds only
the rows near the viewport, wherever it is scrolled to, and the far ends are all there."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

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
    messaging: MessagingService, senders: list[str], channel: str, total: int = TOTAL
) -> None:
    """`total` messages in order, alternating senders, through the service's send path."""
    chunk = 500
    for start in range(0, total, chunk):
        pending: list[asyncio.Future[Stored]] = []
        for i in range(start, min(start + chunk, total)):
            # Each send reaches the writer's queue before the next is made (a yield, not a
            # wait): they are stored in order, so message ids follow i.
            pending.append(
                asyncio.ensure_future(
                    messaging.send(
                        senders[1 if i % 3 == 0 else 0],
                        "fill",
                        channel,
                        f"fill-{i}",
                        f"number {i + 1}" + " and more" * (i % 9),
                    )
                )
            )
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


ROWS = """() => [...document.querySelectorAll('[data-testid=message]')].map((e) => ({
  id: Number(e.dataset.messageId), pos: Number(e.getAttribute('aria-posinset')),
  size: Number(e.getAttribute('aria-setsize')), pinned: e.classList.contains('pinned'),
  top: e.getBoundingClientRect().top - document.querySelector('[data-testid=message-list]').getBoundingClientRect().top,
}))"""
TO_TOP = (
    "() => { const s = document.querySelector('[data-testid=message-list]');"
    " s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); }"
)
TO_BOTTOM = (
    "() => { const s = document.querySelector('[data-testid=message-list]');"
    " s.scrollTop = s.scrollHeight; }"
)
FOCUSED_MESSAGE = """() => { const li = document.activeElement?.closest('[data-testid=message]');
  return li && li.isConnected ? Number(li.dataset.messageId) : null; }"""


def older_page(url: str) -> bool:
    return "before=" in url


def test_the_window_keeps_focus_position_and_says_where_each_message_is(
    long_web: tuple[FillableServer, RunningServer],
    browser: Browser,
    page_errors: PageErrors,
) -> None:
    server, running = long_web
    backend = Backend(running.base_url)
    a, b, channel = backend.friends_in_chat("Nadia", "Oskar")
    assert running.app.services is not None
    server.run(fill(running.app.services.messaging, [b.id, a.id], channel, 2_000))

    context: BrowserContext = new_context(browser)
    try:
        page = login_ui(page_errors.watch(context.new_page(), "nadia"), running.base_url, a)
        open_channel(page, channel)
        expect(tid(page, "message-text").last).to_have_text(
            "number 2000" + " and more" * (1999 % 9)
        )
        # The newest page is in; how many there are in all is not known yet.
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=message]')].pop()"
            ".getAttribute('aria-posinset') === '50'"
        )
        rows = page.evaluate(ROWS)
        assert 0 < len(rows) <= MOST_ROWS
        assert rows[-1]["size"] == -1

        # Scrolling to the top loads the page before; what was at the top stays in place.
        # (The page is held back until what was at the top has been noted.)
        held: list[Route] = []

        def hold(route: Route) -> None:
            held.append(route)

        page.route(older_page, hold)
        page.evaluate(TO_TOP)
        while not held:
            page.wait_for_timeout(50)
        page.wait_for_timeout(300)  # the renders of the view at the top
        first = page.evaluate(ROWS)[0]
        assert first["pos"] == 1, page.evaluate(ROWS)
        held.pop().continue_()
        page.wait_for_function(
            "(id) => { const e = document.querySelector(`[data-testid=message][data-message-id='${id}']`);"
            " return e && Number(e.getAttribute('aria-posinset')) > 1; }",
            arg=first["id"],
        )
        page.unroute(older_page, hold)
        for route in held:
            route.continue_()
        page.wait_for_timeout(200)  # the render after the page arrived
        after = {r["id"]: r for r in page.evaluate(ROWS)}
        assert first["id"] in after
        assert abs(after[first["id"]]["top"] - first["top"]) <= 2, (first, after[first["id"]])
        assert after[first["id"]]["pos"] > first["pos"]
        assert len(after) <= MOST_ROWS

        # A message's control holding the focus stays in the page, in its place, while the
        # view goes far away; Tab goes on from it; back in view it is an ordinary row again.
        page.evaluate(TO_BOTTOM)
        expect(tid(page, "message-text").last).to_have_text(
            "number 2000" + " and more" * (1999 % 9)
        )
        target = page.evaluate(ROWS)[-3]["id"]
        tid(
            page.locator(f'[data-testid=message][data-message-id="{target}"]'),
            "message-reply-button",
        ).focus()
        assert page.evaluate(FOCUSED_MESSAGE) == target
        page.wait_for_function(
            """() => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0; s.dispatchEvent(new Event('scroll'));
                return document.querySelector('[data-testid=history-status]').textContent
                    === 'This is the start of the conversation.';
            }""",
            polling=50,
            timeout=120_000,
        )
        page.wait_for_timeout(200)
        rows = page.evaluate(ROWS)
        assert rows[0]["id"] == 1 and rows[0]["pos"] == 1
        assert page.evaluate(FOCUSED_MESSAGE) == target
        pinned = [r for r in rows if r["pinned"]]
        assert [r["id"] for r in pinned] == [target] and rows[-1]["id"] == target
        assert len(rows) <= MOST_ROWS + 1
        # Every row says where it is in the whole conversation, now that it is all loaded.
        assert all(r["size"] == 2_000 and r["pos"] == r["id"] for r in rows)
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED_MESSAGE) == target  # the next control of that message
        page.evaluate(TO_BOTTOM)
        page.wait_for_function(
            "(id) => !document.querySelector(`[data-testid=message][data-message-id='${id}']`)"
            ".classList.contains('pinned')",
            arg=target,
        )
        assert page.evaluate(FOCUSED_MESSAGE) == target
    finally:
        context.close()
        backend.close()
