"""The web client on a phone: touch targets, safe areas, the on-screen keyboard, pull to
load older messages; and long conversations, of which only the part near the viewport is
in the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from tests.browser.support import (
    PHONE,
    Account,
    Backend,
    PageErrors,
    channel_item,
    login_ui,
    open_channel,
    send,
    tid,
)
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]
TOUCH: dict[str, Any] = {"viewport": PHONE, "is_mobile": True, "has_touch": True}

# Every control a finger can aim at, visible, with its size. Inline links inside message
# text are exempt (WCAG 2.5.5 "inline"); a checkbox counts with its label.
TARGETS = """() => {
  const out = [];
  const sel = 'button, a[href], input, select, textarea, [role=tab], label';
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('.msg-text') || el.closest('[hidden]') || el.closest('.sr-only')) continue;
    if (el.matches('input[type=checkbox]') && el.closest('label')) continue;
    if (el.matches('label') && !el.querySelector('input')) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    out.push({ what: (el.dataset.testid || el.className || el.tagName) + ' ' + (el.textContent || '').trim().slice(0, 30),
               width: r.width, height: r.height });
  }
  return out;
}"""


def small_targets(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(TARGETS)
    assert found, "no controls found"
    return [t for t in found if t["width"] < 44 or t["height"] < 44]


def test_every_touch_target_is_at_least_44_px(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Sofia", "Tomas")
    group = backend.group(a, "Band", [b])
    backend.send(b, channel, "Rehearsal at 7? https://example.com/map")
    page = page_errors.watch(contexts(**TOUCH).new_page(), "sofia")
    page.goto(web.base_url + "/")
    expect(tid(page, "login-form")).to_be_visible()
    assert small_targets(page) == []
    tid(page, "show-signup").tap()
    assert small_targets(page) == []

    login_ui(page, web.base_url, a)
    expect(channel_item(page, group)).to_be_visible()
    assert small_targets(page) == []
    tid(page, "tab-friends").tap()
    expect(tid(page, "friend-item")).to_have_count(1)
    assert small_targets(page) == []
    tid(page, "tab-chats").tap()
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message")).to_have_count(1)
    assert small_targets(page) == []
    tid(page, "back-button").tap()
    channel_item(page, group).locator("a").tap()
    tid(page, "members-button").tap()
    expect(tid(page, "member-item")).to_have_count(2)
    assert small_targets(page) == []
    page.keyboard.press("Escape")
    tid(page, "back-button").tap()
    tid(page, "new-group-button").tap()
    expect(tid(page, "group-member-option")).to_have_count(1)
    assert small_targets(page) == []


def _thirty_lines(backend: Backend, reader: str, writer: str) -> tuple[Account, str]:
    """Two friends' chat in which the second wrote "line 1" to "line 30"."""
    a, b, channel = backend.friends_in_chat(reader, writer)
    for i in range(30):
        backend.send(b, channel, f"line {i + 1}")
    return a, channel


def test_safe_areas_and_the_on_screen_keyboard_leave_the_app_usable(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, channel = _thirty_lines(backend, "Uma", "Viktor")
    context = contexts(**TOUCH)
    page = page_errors.watch(context.new_page(), "uma")
    # A phone with a notch and a home indicator.
    cdp: CDPSession = context.new_cdp_session(page)
    cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": {"top": 47, "bottom": 34}})
    login_ui(page, web.base_url, a)
    brand = page.locator(".topbar .brand").bounding_box()
    assert brand is not None and brand["y"] >= 47
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message-text").last).to_have_text("line 30")
    composer = tid(page, "composer-input").bounding_box()
    assert composer is not None and composer["y"] + composer["height"] <= PHONE["height"] - 34

    # The keyboard opens: the layout shrinks to what is left, and the composer and the
    # newest message stay in view.
    tid(page, "composer-input").tap()
    page.set_viewport_size({"width": PHONE["width"], "height": 380})
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-testid=composer-input]')"
        ".getBoundingClientRect(); return r.bottom <= 380 && r.top > 0; }"
    )
    expect(tid(page, "composer-input")).to_be_in_viewport()
    expect(tid(page, "message-text").last).to_be_in_viewport()
    expect(tid(page, "conversation-title")).to_be_in_viewport()
    send(page, "typed with the keyboard up")
    expect(tid(page, "message-text").last).to_be_in_viewport()


def touch_drag(cdp: CDPSession, x: float, y0: float, y1: float, steps: int = 8) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y0}]})
    for i in range(1, steps + 1):
        y = y0 + (y1 - y0) * i / steps
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )


def touch_end(cdp: CDPSession) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def scroll_to_top_until_first_is(page: Page, message_id: int) -> None:
    """Scroll to the top until the first message there is message_id (the newest page may
    still be on its way: only the newest message, from the list's preview, is known)."""
    page.wait_for_function(
        """(id) => {
            const list = document.querySelector('[data-testid=message-list]');
            list.scrollTop = 0;
            const first = list.querySelector('[data-testid=message]');
            return !!first && first.dataset.messageId === String(id);
        }""",
        arg=message_id,
    )


def first_message_id(page: Page) -> int:
    first = tid(page, "message").first.get_attribute("data-message-id")
    assert first is not None
    return int(first)


def test_a_scroll_as_the_viewport_shrinks_keeps_the_newest_message_in_view(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    # A browser can fire a scroll event as the keyboard shrinks the viewport, before the
    # resize observer runs: the view is short of the bottom, but nobody scrolled away.
    a, channel = _thirty_lines(backend, "Wen", "Xavi")
    page = page_errors.watch(contexts(**TOUCH).new_page(), "wen")
    login_ui(page, web.base_url, a)
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message-text").last).to_have_text("line 30")
    expect(tid(page, "message-text").last).to_be_in_viewport()
    page.evaluate(
        """() => {
      const s = document.querySelector('[data-testid=message-list]');
      s.style.flex = 'none';
      s.style.height = '150px';
      s.dispatchEvent(new Event('scroll'));
    }"""
    )
    expect(tid(page, "message-text").last).to_be_in_viewport()


def test_pull_down_at_the_top_loads_older_messages(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Wanda", "Xavier")
    for i in range(80):
        backend.send(b, channel, f"message {i + 1}")
    other = backend.group(a, "Quiet", [b])
    for i in range(60):
        backend.send(b, other, f"quiet {i + 1}")
    context = contexts(**TOUCH)
    page = login_ui(page_errors.watch(context.new_page(), "wanda"), web.base_url, a)
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message-text").last).to_have_text("message 80")
    scroller = tid(page, "message-list")
    # The newest page is 31..80; on a touch screen reaching the top does not load more.
    scroll_to_top_until_first_is(page, 31)
    expect(tid(page, "load-older")).to_be_visible()

    box = scroller.bounding_box()
    assert box is not None
    cdp = context.new_cdp_session(page)
    touch_drag(cdp, box["x"] + box["width"] / 2, box["y"] + 40, box["y"] + 260)
    indicator = tid(page, "pull-indicator")
    expect(indicator).to_be_visible()
    expect(indicator).to_have_text("Release to load older messages")
    touch_end(cdp)
    expect(indicator).to_be_hidden()
    expect(tid(page, "history-status")).to_have_text("This is the start of the conversation.")
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(tid(page, "message-text").first).to_have_text("message 1")

    # A short pull does nothing.
    tid(page, "back-button").tap()
    channel_item(page, other).locator("a").tap()
    expect(tid(page, "message-text").last).to_have_text("quiet 60")
    scroll_to_top_until_first_is(page, 11)
    expect(tid(page, "load-older")).to_be_visible()
    touch_drag(cdp, box["x"] + box["width"] / 2, box["y"] + 40, box["y"] + 80)
    expect(indicator).to_have_text("Pull to load older messages")
    touch_end(cdp)
    expect(indicator).to_be_hidden()
    assert first_message_id(page) == 11


def test_a_long_conversation_keeps_only_what_is_near_the_viewport_in_the_page(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Yara", "Zeno")
    total = 300
    for i in range(total):
        backend.send(a if i % 3 == 0 else b, channel, f"number {i + 1}" + " and more" * (i % 7))
    page = login_ui(page_errors.watch(contexts().new_page(), "yara"), web.base_url, a)
    open_channel(page, channel)
    expect(tid(page, "message-text").last).to_have_text("number 300" + " and more" * (299 % 7))
    scroller = tid(page, "message-list")
    # The newest page (251..300) is in before scrolling up (not just the list's preview).
    expect(page.locator('[data-testid="message"][data-message-id="285"]')).to_have_count(1)

    # Scrolling up loads history page by page until the start.
    status = tid(page, "history-status")
    for _ in range(10):
        if status.text_content() == "This is the start of the conversation.":
            break
        before = str(first_message_id(page))
        scroller.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        expect(tid(page, "message").first).not_to_have_attribute("data-message-id", before)
    expect(status).to_have_text("This is the start of the conversation.")
    # The last older page arrived above the row being read, which stays in place: go
    # up to the start to see it.
    scroller.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    expect(tid(page, "message-text").first).to_have_text("number 1")
    in_page = tid(page, "message").count()
    assert in_page < 120, f"{in_page} of {total} messages are in the page"

    # The far end is still all there, in order, and the scroll height stands in for it.
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(tid(page, "message-text").last).to_have_text("number 300" + " and more" * (299 % 7))
    expect(page.locator('[data-testid="message"][data-message-id="1"]')).to_have_count(0)
    ids = [
        int(x)
        for x in tid(page, "message").evaluate_all("els => els.map(e => e.dataset.messageId)")
    ]
    assert ids == list(range(ids[0], total + 1))
    assert tid(page, "message").count() < 120
    # New messages still arrive at the bottom and stay in view.
    backend.send(b, channel, "the newest")
    expect(tid(page, "message-text").last).to_have_text("the newest")
    expect(tid(page, "message-text").last).to_be_in_viewport()
    send(page, "and mine")


# Where the browser leaves the layout alone and only the visual viewport shrinks for the
# on-screen keyboard (iOS Safari), the page sees a `resize` of window.visualViewport with
# a smaller height. Chromium has no keyboard to open, so this stands in for the visual
# viewport: the real one's values, except a height the test sets (`__keyboardUp(px)`).
VISUAL_VIEWPORT_KEYBOARD = """(() => {
  const real = window.visualViewport;
  const vv = new EventTarget();
  let height = null;
  for (const k of ['width', 'offsetLeft', 'offsetTop', 'pageLeft', 'pageTop', 'scale']) {
    Object.defineProperty(vv, k, { get: () => real[k] });
  }
  Object.defineProperty(vv, 'height', { get: () => height ?? real.height });
  Object.defineProperty(window, 'visualViewport', { get: () => vv, configurable: true });
  window.__keyboardUp = (px) => { height = px; vv.dispatchEvent(new Event('resize')); };
})();"""

BOTTOM_OF = (
    """(id) => document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect().bottom"""
)


def test_the_keyboard_shrinking_the_visual_viewport_leaves_the_composer_in_view(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Ines", "Jonas")
    for i in range(30):
        backend.send(b, channel, f"line {i + 1}")
    context = contexts(**TOUCH)
    context.add_init_script(VISUAL_VIEWPORT_KEYBOARD)
    page = login_ui(page_errors.watch(context.new_page(), "ines"), web.base_url, a)
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message-text").last).to_have_text("line 30")
    full = PHONE["height"]
    assert full - 60 < page.evaluate(BOTTOM_OF, "composer-input") <= full

    # The keyboard takes the lower 320 px; the layout viewport keeps its height.
    keyboard_top = full - 320
    tid(page, "composer-input").tap()
    page.evaluate(f"window.__keyboardUp({keyboard_top})")
    page.wait_for_function(
        "(top) => document.querySelector('[data-testid=composer-input]')"
        ".getBoundingClientRect().bottom <= top",
        arg=keyboard_top,
    )
    assert page.evaluate("window.innerHeight") == full
    composer = tid(page, "composer-input").bounding_box()
    title = tid(page, "conversation-title").bounding_box()
    newest = tid(page, "message-text").last.bounding_box()
    assert composer is not None and title is not None and newest is not None
    assert composer["y"] > 0 and title["y"] >= 0
    # The newest message stays in view, between the header and the composer.
    assert title["y"] + title["height"] <= newest["y"]
    assert newest["y"] + newest["height"] <= composer["y"]
    send(page, "typed above the keyboard")
    page.wait_for_function(
        "(top) => { const all = document.querySelectorAll('[data-testid=message-text]');"
        " const last = all[all.length - 1]; return last.textContent === 'typed above the keyboard'"
        " && last.getBoundingClientRect().bottom <= top; }",
        arg=keyboard_top,
    )

    # The keyboard goes away: the app takes the whole height again.
    page.evaluate(f"window.__keyboardUp({full})")
    page.wait_for_function(
        "(full) => document.querySelector('[data-testid=composer-input]')"
        ".getBoundingClientRect().bottom > full - 60",
        arg=full,
    )
