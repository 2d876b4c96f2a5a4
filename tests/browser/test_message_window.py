"""The window of message rows: what was at the top stays in place when an older page
arrives, the focused message stays in the page wherever the view goes, and every row says
where it is in the conversation (aria-posinset / aria-setsize) for screen readers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import WEB_SETTINGS
from tests.browser.support import Backend, PageErrors, login_ui, new_context, open_channel, tid
from tests.browser.test_long_history import MOST_ROWS, FillableServer, fill
from tests.helpers.server import RunningServer, test_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def filled_web(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FillableServer, RunningServer]]:
    settings = test_settings(
        tmp_path_factory.mktemp("window") / "data",
        sends_per_user_per_sec=1_000_000.0,
        send_burst=1_000_000,
        **WEB_SETTINGS,
    )
    server = FillableServer(settings)
    with server as running:
        yield server, running


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


def load_to_start(page: Page, polling: int = 100) -> None:
    """Scroll up until the whole conversation is loaded."""
    page.wait_for_function(
        """() => {
            const s = document.querySelector('[data-testid=message-list]');
            s.scrollTop = 0; s.dispatchEvent(new Event('scroll'));
            return document.querySelector('[data-testid=history-status]').textContent
                === 'This is the start of the conversation.';
        }""",
        polling=polling,
        timeout=120_000,
    )


def older_page(url: str) -> bool:
    return "before=" in url


def test_the_window_keeps_focus_position_and_says_where_each_message_is(
    filled_web: tuple[FillableServer, RunningServer],
    browser: Browser,
    page_errors: PageErrors,
) -> None:
    server, running = filled_web
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
        load_to_start(page, polling=50)
        page.wait_for_timeout(200)
        page.wait_for_function(
            """() => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0;
                return document.querySelector('[data-testid=message]')
                    .getAttribute('aria-posinset') === '1';
            }""",
            polling=100,
        )
        expect(tid(page, "message-text").first).to_have_text("number 1")
        rows = page.evaluate(ROWS)
        assert rows[0]["pos"] == 1
        assert page.evaluate(FOCUSED_MESSAGE) == target
        pinned = [r for r in rows if r["pinned"]]
        assert [r["id"] for r in pinned] == [target] and rows[-1]["id"] == target
        assert len(rows) <= MOST_ROWS + 1
        # Every row says where it is in the whole conversation, now that it is all loaded.
        assert all(r["size"] == 2_000 for r in rows)
        assert [r["pos"] for r in rows[:-1]] == list(range(1, len(rows)))
        assert rows[-1]["pos"] == rows[-1]["id"] - rows[0]["id"] + 1
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


FLING = """(frames) => new Promise((done) => {
  const s = document.querySelector('[data-testid=message-list]');
  let left = frames;
  const tick = () => {
    if (left-- === 0 || s.scrollTop + s.clientHeight >= s.scrollHeight - 2) return done(frames - left - 1);
    s.scrollTop += s.clientHeight * 0.9;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def test_a_fling_lays_the_page_out_about_once_a_frame(
    filled_web: tuple[FillableServer, RunningServer],
    browser: Browser,
    page_errors: PageErrors,
) -> None:
    """Scrolling through a long conversation makes new rows every frame; the window
    measures them with at most one layout of its own (the frame's follows), never a layout
    per row read or per render pass (that would be tens a frame). Counted by Chromium
    (Performance.getMetrics: LayoutCount), not timed; a guard, measured ~0.8 a frame."""
    server, running = filled_web
    backend = Backend(running.base_url)
    a, b, channel = backend.friends_in_chat("Fern", "Gil")
    assert running.app.services is not None
    server.run(fill(running.app.services.messaging, [b.id, a.id], channel, 600, "fling"))
    context: BrowserContext = new_context(browser, viewport={"width": 1100, "height": 800})
    try:
        page = login_ui(page_errors.watch(context.new_page(), "fern"), running.base_url, a)
        open_channel(page, channel)
        load_to_start(page)
        page.wait_for_timeout(300)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def layouts() -> int:
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            return int(next(m["value"] for m in metrics if m["name"] == "LayoutCount"))

        before = layouts()
        frames = page.evaluate(FLING, 200)
        per_frame = (layouts() - before) / frames
        assert frames >= 50, frames
        assert per_frame <= 2.0, f"{per_frame:.2f} layouts a frame over {frames} frames"
        # And the rows in the page are the ones in view, in order, every one of them there.
        ids = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=message]')]"
            ".map((e) => Number(e.dataset.messageId))"
        )
        assert 0 < len(ids) <= MOST_ROWS and ids == list(range(ids[0], ids[0] + len(ids)))
    finally:
        context.close()
        backend.close()
