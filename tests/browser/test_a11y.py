"""Accessibility: axe-core finds no violation on any screen, in light and dark, on a desktop
and on a phone; every action of a chat works from the keyboard alone; new messages in the
open conversation are announced to screen readers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.support import (
    PASSWORD,
    PHONE,
    Backend,
    PageErrors,
    channel_item,
    login_ui,
    open_channel,
    send,
    tid,
    wait_online,
)
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


def close_dialog(page: Page, testid: str) -> None:
    page.keyboard.press("Escape")
    expect(tid(page, testid)).to_be_hidden()


def test_no_axe_violation_on_any_screen(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, direct = backend.friends_in_chat("Ines", "Jonas")
    c, d = backend.account("Karl"), backend.account("Lena")
    backend.befriend(a, c)
    backend.update_me(b, status_text="Out walking")
    # A request each way, for the friends screen.
    backend.http.post("/v1/friends/requests", json={"user_id": a.id}, headers=d.auth)
    stranger = backend.account("Mo")
    backend.http.post("/v1/friends/requests", json={"user_id": stranger.id}, headers=a.auth)
    group = backend.group(a, "Climbing", [b, c])
    for who, where, text in [
        (b, direct, "Are you coming on Sunday? https://example.com/route"),
        (a, direct, "Yes! 🧗 See you at nine"),
        (c, group, "Who has the rope? Добрый день, 你好, مرحبا"),
    ]:
        backend.send(who, where, text)

    page = page_errors.watch(contexts().new_page(), "ines")
    page.goto(web.base_url + "/")
    expect(tid(page, "login-form")).to_be_visible()
    assert_accessible(page, "log-in")
    tid(page, "show-signup").click()
    assert_accessible(page, "sign-up")

    login_ui(page, web.base_url, a)
    expect(channel_item(page, group)).to_be_visible()
    assert_accessible(page, "chat list")
    open_channel(page, direct)
    expect(tid(page, "message")).to_have_count(2)
    assert_accessible(page, "direct conversation")
    open_channel(page, group)
    expect(tid(page, "message")).to_have_count(1)
    assert_accessible(page, "group conversation")

    tid(page, "members-button").click()
    expect(tid(page, "member-item")).to_have_count(3)
    assert_accessible(page, "members dialog")
    tid(page, "member-remove-button").first.click()
    expect(tid(page, "confirm-dialog")).to_be_visible()
    assert_accessible(page, "confirm dialog")
    close_dialog(page, "confirm-dialog")
    close_dialog(page, "members-dialog")
    tid(page, "new-group-button").click()
    assert_accessible(page, "new group dialog")
    close_dialog(page, "group-dialog")
    tid(page, "profile-button").click()
    assert_accessible(page, "profile dialog")
    close_dialog(page, "profile-dialog")

    tid(page, "tab-friends").click()
    tid(page, "user-search-input").fill(stranger.username)
    tid(page, "user-search-button").click()
    expect(tid(page, "user-result")).to_have_count(1)
    expect(tid(page, "friend-request")).to_have_count(2)
    assert_accessible(page, "friends")

    page.context.set_offline(True)
    expect(tid(page, "offline-banner")).to_be_visible(timeout=20_000)
    assert_accessible(page, "offline")
    page.context.set_offline(False)
    wait_online(page)


def test_no_axe_violation_on_a_phone_in_dark_mode(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Nora", "Otto")
    backend.send(b, channel, "Dark mode tonight?")
    phone = contexts(viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    page = page_errors.watch(phone.new_page(), "nora")
    page.goto(web.base_url + "/")
    expect(tid(page, "login-form")).to_be_visible()
    # The colours follow the system setting.
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="light")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg == "rgb(20, 22, 28)" and light_bg == "rgb(244, 245, 248)"
    page.emulate_media(color_scheme="dark")
    assert_accessible(page, "phone log-in")

    login_ui(page, web.base_url, a)
    expect(channel_item(page, channel)).to_be_visible()
    assert_accessible(page, "phone chat list")
    channel_item(page, channel).locator("a").tap()
    expect(tid(page, "message")).to_have_count(1)
    send(page, "Sure 🌙")
    assert_accessible(page, "phone conversation")
    tid(page, "back-button").tap()
    tid(page, "tab-friends").tap()
    expect(tid(page, "friend-item")).to_have_count(1)
    assert_accessible(page, "phone friends")


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_whole_chat_from_the_keyboard_alone(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Petra", "Quinn")
    stranger = backend.account("Rafa")
    backend.send(b, channel, "Hi Petra")
    page = page_errors.watch(contexts().new_page(), "petra")
    kb = page.keyboard

    # Log in: the username field has the focus when the form shows.
    page.goto(web.base_url + "/")
    expect(tid(page, "login-username")).to_be_focused()
    kb.type(a.username)
    kb.press("Tab")
    kb.type(PASSWORD)
    kb.press("Enter")
    wait_online(page)

    # Open the conversation from the list and answer; Enter sends.
    tab_to(page, f'[data-testid="channel-item"][data-channel-id="{channel}"] a')
    kb.press("Enter")
    expect(tid(page, "conversation-title")).to_have_text("Quinn")
    expect(tid(page, "composer-input")).to_be_focused()
    kb.type("Hello from the keyboard")
    kb.press("Enter")
    mine = tid(page, "message").last
    expect(tid(mine, "message-text")).to_have_text("Hello from the keyboard")
    expect(mine).to_have_attribute("data-state", "sent")
    kb.press("Shift+Enter")
    kb.type("two")
    expect(tid(page, "composer-input")).to_have_value("\ntwo")
    kb.press("Control+a")
    kb.press("Delete")

    # A reply while the conversation is open is read out by screen readers.
    backend.send(b, channel, "Nice to hear from you")
    expect(tid(page, "live-announcer")).to_contain_text("Quinn: Nice to hear from you")
    expect(tid(page, "live-announcer")).to_have_attribute("aria-live", "polite")

    # Friends tab with the arrow keys; find someone and ask them.
    tab_to(page, '[data-testid="tab-chats"]')
    kb.press("ArrowRight")
    expect(tid(page, "tab-friends")).to_be_focused()
    expect(tid(page, "tab-friends")).to_have_attribute("aria-selected", "true")
    tab_to(page, '[data-testid="user-search-input"]')
    kb.type(stranger.username)
    kb.press("Enter")
    result = tid(page, "user-result")
    expect(result).to_have_count(1)
    tab_to(page, '[data-testid="add-friend-button"]')
    kb.press("Enter")
    expect(result).to_have_attribute("data-relation", "outgoing")

    # The profile dialog: opened, edited and saved with keys; focus returns to its button.
    tab_to(page, '[data-testid="profile-button"]')
    kb.press("Enter")
    expect(tid(page, "profile-display-name")).to_be_focused()
    kb.press("Control+a")
    kb.type("Petra K")
    kb.press("Enter")
    expect(tid(page, "profile-dialog")).to_be_hidden()
    expect(tid(page, "profile-name")).to_have_text("Petra K")
    expect(tid(page, "profile-button")).to_be_focused()

    # A new group: name, a member ticked with Space, created with Enter.
    tab_to(page, '[data-testid="tab-friends"]')
    kb.press("ArrowLeft")
    tab_to(page, '[data-testid="new-group-button"]')
    kb.press("Enter")
    expect(tid(page, "group-name-input")).to_be_focused()
    kb.type("Keyboard club")
    tab_to(page, f'[data-testid="group-member-checkbox"][data-user-id="{b.id}"]')
    kb.press("Space")
    tab_to(page, '[data-testid="group-create-submit"]')
    kb.press("Enter")
    expect(tid(page, "conversation-title")).to_have_text("Keyboard club")
    expect(tid(page, "composer-input")).to_be_focused()
    kb.type("First!")
    kb.press("Enter")
    expect(tid(page, "message-text")).to_have_text(["First!"])

    # Members: opened from the keyboard, closed with Escape, focus back where it was.
    tab_to(page, '[data-testid="members-button"]')
    kb.press("Enter")
    expect(tid(page, "member-item")).to_have_count(2)
    kb.press("Escape")
    expect(tid(page, "members-dialog")).to_be_hidden()
    expect(tid(page, "members-button")).to_be_focused()

    # And out: the list kept for a quick next start goes with the session.
    snapshots = "() => Object.keys(localStorage).filter((k) => k.startsWith('chinwag.list.'))"
    page.wait_for_function(f"() => ({snapshots})().length === 1")
    tab_to(page, '[data-testid="logout-button"]')
    kb.press("Enter")
    expect(tid(page, "login-form")).to_be_visible()
    assert page.evaluate(snapshots) == []
    assert re.search(r"Petra K", str(backend.http.get("/v1/me", headers=a.auth).json()))
