"""Helpers for the browser tests: Chromium launch options, HTTP setup, page actions."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

CHROMIUM = os.environ.get("CHINWAG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
# Fixed locale and time zone: the same text (times, numbers) on every machine.
CONTEXT_OPTIONS: dict[str, Any] = {"locale": "en-US", "timezone_id": "UTC"}
PHONE = {"width": 375, "height": 700}


def require_chromium() -> str:
    """The path of Debian's Chromium, or skip (fail under CHINWAG_REQUIRE_SERVICES=1)."""
    path = Path(CHROMIUM)
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    found = shutil.which("chromium")
    hint = f" (there is one at {found}; set CHINWAG_CHROMIUM)" if found else ""
    message = (
        f"Chromium is not installed at {CHROMIUM}{hint}; the browser tests use Debian's "
        "chromium package (apt-get install chromium) and never download a browser"
    )
    if os.environ.get("CHINWAG_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and CHINWAG_REQUIRE_SERVICES=1")
    pytest.skip(message)


_names = itertools.count()


def unique_username(prefix: str) -> str:
    return f"{prefix}{next(_names)}_{secrets.token_hex(2)}"


@dataclass
class Account:
    id: str
    username: str
    display_name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Backend:
    """Setting the scene over HTTP (fast), so each test drives only what it is about."""

    base_url: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def account(self, display_name: str, prefix: str = "") -> Account:
        username = unique_username(prefix or display_name.lower())
        r = self.http.post(
            "/v1/users",
            json={"username": username, "password": PASSWORD, "display_name": display_name},
        )
        assert r.status_code == 201, r.text
        r = self.http.post(
            "/v1/sessions",
            json={"username": username, "password": PASSWORD, "device_name": "test setup"},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Account(body["user"]["id"], username, display_name, body["token"])

    def befriend(self, a: Account, b: Account) -> None:
        r = self.http.post("/v1/friends/requests", json={"user_id": b.id}, headers=a.auth)
        assert r.status_code == 201, r.text
        r = self.http.post(f"/v1/friends/requests/{r.json()['id']}/accept", headers=b.auth)
        assert r.status_code == 200, r.text

    def direct(self, a: Account, b: Account) -> str:
        r = self.http.post("/v1/channels", json={"kind": "direct", "user_id": b.id}, headers=a.auth)
        assert r.status_code in (200, 201), r.text
        channel_id: str = r.json()["id"]
        return channel_id

    def friends_in_chat(self, name_a: str, name_b: str) -> tuple[Account, Account, str]:
        """Two new accounts, friends, and their direct channel."""
        a, b = self.account(name_a), self.account(name_b)
        self.befriend(a, b)
        return a, b, self.direct(a, b)

    def group(self, owner: Account, name: str, members: list[Account]) -> str:
        for member in members:  # only friends may add them unless they open it up
            self.update_me(member, group_adds="anyone")
        r = self.http.post(
            "/v1/channels",
            json={"kind": "group", "name": name, "member_ids": [m.id for m in members]},
            headers=owner.auth,
        )
        assert r.status_code == 201, r.text
        channel_id: str = r.json()["id"]
        return channel_id

    def update_me(self, user: Account, **fields: str) -> None:
        r = self.http.patch("/v1/me", json=fields, headers=user.auth)
        assert r.status_code == 200, r.text

    def send(self, sender: Account, channel_id: str, text: str) -> dict[str, Any]:
        r = self.http.post(
            f"/v1/channels/{channel_id}/messages",
            json={"client_msg_id": secrets.token_hex(8), "text": text},
            headers=sender.auth,
        )
        assert r.status_code == 201, r.text
        message: dict[str, Any] = r.json()
        return message

    def history(self, user: Account, channel_id: str) -> list[dict[str, Any]]:
        r = self.http.get(
            f"/v1/channels/{channel_id}/messages", params={"limit": 200}, headers=user.auth
        )
        assert r.status_code == 200, r.text
        messages: list[dict[str, Any]] = r.json()["messages"]
        return messages


# What Chromium itself logs when a request or WebSocket fails (e.g. while offline).
BROWSER_NETWORK_ERRORS = ("Failed to load resource", "WebSocket connection to")


class PageErrors:
    """Uncaught exceptions and the client's own console errors, per page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page, name: str) -> Page:
        page.on("pageerror", lambda e: self.errors.append(f"{name}: uncaught {e}"))

        def console(msg: Any) -> None:
            # Failed requests while a context is offline are expected; the client's own
            # errors ("chinwag: ...", "Something went wrong") are not. Neither is any
            # alert() or confirm() dialog: the client uses none.
            if msg.type == "error" and not any(n in msg.text for n in BROWSER_NETWORK_ERRORS):
                self.errors.append(f"{name}: console.error {msg.text}")

        def dialog(d: Any) -> None:
            self.errors.append(f"{name}: a {d.type} dialog opened: {d.message}")
            d.dismiss()

        page.on("console", console)
        page.on("dialog", dialog)
        return page


def tid(page: Page | Locator, testid: str) -> Locator:
    return page.locator(f'[data-testid="{testid}"]')


def wait_online(page: Page) -> None:
    expect(tid(page, "connection-state")).to_have_attribute("data-state", "online")


def signup_ui(page: Page, base_url: str, username: str, display_name: str) -> None:
    page.goto(base_url + "/")
    tid(page, "show-signup").click()
    tid(page, "signup-username").fill(username)
    tid(page, "signup-display-name").fill(display_name)
    tid(page, "signup-password").fill(PASSWORD)
    tid(page, "signup-submit").click()
    wait_online(page)
    expect(tid(page, "profile-name")).to_have_text(display_name)


def login_ui(page: Page, base_url: str, account: Account) -> Page:
    page.goto(base_url + "/")
    tid(page, "login-username").fill(account.username)
    tid(page, "login-password").fill(PASSWORD)
    tid(page, "login-submit").click()
    wait_online(page)
    expect(tid(page, "profile-name")).to_have_text(account.display_name)
    return page


def channel_item(page: Page, channel_id: str) -> Locator:
    return page.locator(f'[data-testid="channel-item"][data-channel-id="{channel_id}"]')


def open_channel(page: Page, channel_id: str) -> None:
    tid(page, "tab-chats").click()
    channel_item(page, channel_id).locator("a").click()
    expect(tid(page, "conversation-title")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(f"#/c/{channel_id}") + "$"))


def send(page: Page, text: str) -> Locator:
    """Type a message and press Enter; returns a locator of that message (by client_msg_id)."""
    box = tid(page, "composer-input")
    box.fill(text)
    box.press("Enter")
    newest = page.locator('[data-testid="message"][data-client-msg-id]').last
    expect(newest.locator('[data-testid="message-text"]')).to_have_text(text)
    cmid = newest.get_attribute("data-client-msg-id")
    return page.locator(f'[data-testid="message"][data-client-msg-id="{cmid}"]')


def message_ids(page: Page) -> list[int]:
    """The data-message-id of every message shown, top to bottom (-1 when not stored yet)."""
    ids: list[int] = tid(page, "message").evaluate_all(
        "els => els.map(e => e.dataset.messageId ? Number(e.dataset.messageId) : -1)"
    )
    return ids


def message_texts(page: Page) -> list[str]:
    texts: list[str] = tid(page, "message-text").all_text_contents()
    return texts


def new_context(browser: Any, **options: Any) -> BrowserContext:
    context: BrowserContext = browser.new_context(**{**CONTEXT_OPTIONS, **options})
    return context
