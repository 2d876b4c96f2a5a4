"""The web client's safety panels: mute in a conversation, report on a message, block and
unblock from a person, devices and "delete my account" in settings, and the admin page."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.support import (
    PASSWORD,
    Account,
    Backend,
    PageErrors,
    channel_item,
    login_ui,
    open_channel,
    tid,
)
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


def _grant(web: RunningServer, account: Account) -> None:
    """The operator's command, run as operators run it, beside the serving process."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "chinwag",
            "admin",
            "grant",
            account.username,
            "--data-dir",
            web.app.settings.data_dir,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and account.id in done.stdout, done.stderr


def _confirm(page: Page) -> None:
    expect(tid(page, "confirm-dialog")).to_be_visible()
    tid(page, "confirm-ok").click()
    expect(tid(page, "confirm-dialog")).to_be_hidden()


def test_mute_report_block_and_settings(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, direct = backend.friends_in_chat("Paula", "Quentin")
    c = backend.account("Rita")
    group = backend.group(a, "Choir", [b, c])
    backend.send(b, direct, "buy my pills")
    backend.send(b, group, "hello choir")
    page = page_errors.watch(contexts().new_page(), "paula")
    login_ui(page, web.base_url, a)

    # Mute the conversation, and unmute it.
    open_channel(page, direct)
    mute = tid(page, "mute-button")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(channel_item(page, direct).locator('[data-testid="channel-muted"]')).to_be_visible()
    channels = backend.http.get("/v1/channels", headers=a.auth).json()["channels"]
    assert {ch["id"]: ch.get("muted_until") for ch in channels}[direct] is not None
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")
    expect(channel_item(page, direct).locator('[data-testid="channel-muted"]')).to_be_hidden()

    # Report a message.
    message = tid(page, "message").filter(has_text="buy my pills")
    message.locator('[data-testid="message-text"]').click()  # a tap shows its actions
    message.locator('[data-testid="message-report"]').click()
    expect(tid(page, "report-dialog")).to_be_visible()
    expect(tid(page, "report-quote")).to_contain_text("buy my pills")
    assert_accessible(page, "report dialog")
    tid(page, "report-submit").click()
    expect(tid(page, "report-error")).not_to_be_empty()
    tid(page, "report-reason").fill("spam")
    tid(page, "report-submit").click()
    expect(tid(page, "report-dialog")).to_be_hidden()
    admin = backend.account("Sam")
    _grant(web, admin)
    reports = backend.http.get("/v1/admin/reports", headers=admin.auth).json()["reports"]
    assert (reports[0]["text"], reports[0]["reason"]) == ("buy my pills", "spam")

    # Block from the friends list: the friendship ends, the group hides b's messages.
    tid(page, "tab-friends").click()
    tid(page, "friend-block-button").click()
    _confirm(page)
    expect(tid(page, "friend-item")).to_have_count(0)
    blocked = backend.http.get("/v1/blocks", headers=a.auth).json()["users"]
    assert [u["id"] for u in blocked] == [b.id]
    open_channel(page, group)
    expect(tid(page, "message-text")).to_have_text(["Message from someone you blocked."])

    # Settings: devices (log out the other one), blocked people (unblock), a11y.
    tid(page, "settings-button").click()
    expect(tid(page, "device-item")).to_have_count(2)
    expect(tid(page, "blocked-item")).to_have_count(1)
    assert_accessible(page, "settings dialog")
    tid(page, "device-logout").click()
    expect(tid(page, "device-item")).to_have_count(1)
    assert backend.http.get("/v1/me", headers=a.auth).status_code == 401  # the setup device
    tid(page, "unblock-button").click()
    expect(tid(page, "blocked-empty")).to_be_visible()
    page.keyboard.press("Escape")
    expect(tid(page, "message-text")).to_have_text(["hello choir"])
    # Search shows a block button, and an unblock one once blocked.
    tid(page, "tab-friends").click()
    tid(page, "user-search-input").fill(c.username)
    tid(page, "user-search-button").click()
    tid(page, "user-result-block").click()
    _confirm(page)
    expect(tid(page, "user-result-unblock")).to_be_visible()
    tid(page, "user-result-unblock").click()
    expect(tid(page, "user-result-block")).to_be_visible()
    expect(tid(page, "admin-button")).to_be_hidden()


def test_delete_my_account(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, direct = backend.friends_in_chat("Tara", "Ugo")
    backend.send(a, direct, "goodbye")
    page = page_errors.watch(contexts().new_page(), "tara")
    login_ui(page, web.base_url, a)
    tid(page, "settings-button").click()
    tid(page, "delete-account-password").fill("not my password")
    tid(page, "delete-account-submit").click()
    _confirm(page)
    expect(tid(page, "delete-account-error")).to_have_text("That password is not right.")
    tid(page, "delete-account-password").fill(PASSWORD)
    tid(page, "delete-account-submit").click()
    _confirm(page)
    expect(tid(page, "login-form")).to_be_visible()
    expect(page.get_by_text("Your account has been deleted.")).to_be_visible()
    r = backend.http.post("/v1/sessions", json={"username": a.username, "password": PASSWORD})
    assert r.status_code == 401
    assert [m["text"] for m in backend.history(b, direct)] == ["goodbye"]
    # The other side still reads it, from a deleted user.
    other = page_errors.watch(contexts().new_page(), "ugo")
    login_ui(other, web.base_url, b)
    open_channel(other, direct)
    expect(tid(other, "message-text")).to_have_text(["goodbye"])
    expect(tid(other, "conversation-title")).to_have_text("Deleted user")


def test_admin_page(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    admin, target = backend.account("Vera"), backend.account("Walt")
    _grant(web, admin)
    page = page_errors.watch(contexts().new_page(), "vera")
    login_ui(page, web.base_url, admin)
    tid(page, "admin-button").click()
    expect(tid(page, "admin-dialog")).to_be_visible()
    tid(page, "admin-search-input").fill(target.username)
    tid(page, "admin-search-button").click()
    expect(tid(page, "admin-user")).to_have_count(1)
    assert_accessible(page, "admin page")
    tid(page, "admin-toggle").click()
    expect(tid(page, "admin-user")).to_have_attribute("data-deactivated", "true")
    assert backend.http.get("/v1/me", headers=target.auth).status_code == 401
    r = backend.http.post("/v1/sessions", json={"username": target.username, "password": PASSWORD})
    assert r.status_code == 403
    tid(page, "admin-toggle").click()
    expect(tid(page, "admin-user")).to_have_attribute("data-deactivated", "false")
    r = backend.http.post("/v1/sessions", json={"username": target.username, "password": PASSWORD})
    assert r.status_code == 201
