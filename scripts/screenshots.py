#!/usr/bin/env python3
"""Screenshots of the web client's main screens, for the README.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --out DIR

Starts `chinwag serve` on a free port with a throwaway data directory, sets up a few users
over HTTP, and drives Debian's Chromium (/usr/bin/chromium, never a downloaded browser)
with Playwright. tests/browser/test_screenshots.py runs `capture()` on every test run.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# The browser, its flags and the test password are the browser tests' own.
sys.path.insert(0, str(ROOT))
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, PASSWORD  # noqa: E402

DESKTOP = {"width": 1100, "height": 680}
PHONE = {"width": 375, "height": 700}
CONTEXT: dict[str, Any] = {"locale": "en-US", "timezone_id": "UTC", "color_scheme": "light"}
SHOTS = (
    "login.png",
    "chat-list.png",
    "conversation.png",
    "group-members.png",
    "phone-list.png",
    "phone-conversation.png",
    "phone-offline.png",
    "phone-dark.png",
    "attachments.png",
)


def tid(page: Page | Locator, testid: str) -> Locator:
    return page.locator(f'[data-testid="{testid}"]')


PDF = b"%PDF-1.4\n" + b"% a packing list, as far as anyone can tell\n" * 300


def lake_photo() -> bytes:
    """A picture made here: a sky, a lake and a hill."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1200, 800), "#f6b26b")
    draw = ImageDraw.Draw(img)
    for y in range(480):
        shade = int(140 + 100 * y / 480)
        draw.line([(0, y), (1200, y)], fill=(255, shade, 120 + y // 6))
    draw.ellipse((760, 160, 920, 320), fill="#fff2cc")
    draw.polygon([(0, 520), (300, 300), (620, 520)], fill="#38761d")
    draw.polygon([(400, 520), (800, 340), (1200, 520)], fill="#274e13")
    draw.rectangle((0, 520, 1200, 800), fill="#3d85c6")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


class Setup:
    """Users, friendships, channels and messages over the HTTP API."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.suffix = secrets.token_hex(2)
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.usernames: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method: str, path: str, body: Any = None, who: str = "") -> Any:
        headers = self._auth(who) if who else {}
        r = self.http.request(method, path, json=body, headers=headers)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    def user(self, who: str, display_name: str, status_text: str = "") -> None:
        username = f"{who}_{self.suffix}"
        body = {"username": username, "password": PASSWORD, "display_name": display_name}
        self.call("POST", "/v1/users", body)
        login = {"username": username, "password": PASSWORD, "device_name": "setup"}
        session = self.call("POST", "/v1/sessions", login)
        self.tokens[who] = session["token"]
        self.ids[who] = session["user"]["id"]
        self.usernames[who] = username
        if status_text:
            self.call("PATCH", "/v1/me", {"status_text": status_text}, who)

    def befriend(self, a: str, b: str) -> None:
        req = self.call("POST", "/v1/friends/requests", {"user_id": self.ids[b]}, a)
        self.call("POST", f"/v1/friends/requests/{req['id']}/accept", who=b)

    def direct(self, a: str, b: str) -> str:
        body = {"kind": "direct", "user_id": self.ids[b]}
        channel_id: str = self.call("POST", "/v1/channels", body, a)["id"]
        return channel_id

    def group(self, owner: str, name: str, members: list[str]) -> str:
        body = {"kind": "group", "name": name, "member_ids": [self.ids[m] for m in members]}
        channel_id: str = self.call("POST", "/v1/channels", body, owner)["id"]
        return channel_id

    def say(self, who: str, channel_id: str, text: str) -> None:
        body = {"client_msg_id": secrets.token_hex(8), "text": text}
        self.call("POST", f"/v1/channels/{channel_id}/messages", body, who)

    def say_with_files(
        self, who: str, channel_id: str, text: str, files: list[tuple[str, bytes]]
    ) -> None:
        ids = []
        for name, data in files:
            r = self.http.post(
                "/v1/uploads", params={"filename": name}, content=data, headers=self._auth(who)
            )
            if r.status_code != 201:
                raise RuntimeError(f"upload {name}: {r.status_code} {r.text}")
            ids.append(r.json()["id"])
        body = {"client_msg_id": secrets.token_hex(8), "text": text, "attachment_ids": ids}
        self.call("POST", f"/v1/channels/{channel_id}/messages", body, who)

    def read(self, who: str, channel_id: str, message_id: int) -> None:
        self.call("POST", f"/v1/channels/{channel_id}/read", {"message_id": message_id}, who)


def login(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    tid(page, "login-username").fill(username)
    tid(page, "login-password").fill(PASSWORD)
    tid(page, "login-submit").click()
    expect(tid(page, "connection-state")).to_have_attribute("data-state", "online")


def open_channel(page: Page, channel_id: str) -> None:
    page.locator(f'[data-testid="channel-item"][data-channel-id="{channel_id}"] a').click()
    expect(tid(page, "conversation-title")).to_be_visible()
    expect(tid(page, "history-status")).not_to_have_text(re.compile("Loading"))


def previews_loaded(page: Page, count: int) -> None:
    """A new device fetches each channel's newest message after the list: wait for them."""
    items = tid(page, "channel-item")
    expect(items).to_have_count(count)
    for i in range(count):
        expect(tid(items.nth(i), "channel-preview")).to_have_text(re.compile(r"\S"))


def settle(page: Page) -> None:
    """No caret, no toasts, nothing half-way through a transition."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("document.querySelectorAll('[data-testid=toast]').forEach(t => t.remove())")


def capture(browser: Browser, base_url: str, out_dir: Path) -> list[Path]:
    """Set the scene on the server at base_url and write the screenshots into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    s = Setup(base_url)
    contexts = []
    try:
        s.user("alice", "Alice Moreau", "Planning the weekend")
        s.user("bob", "Bob Okafor", "On the train")
        s.user("carol", "Carol Jensen")
        s.user("dan", "Dan Whitfield")
        for friend in ("bob", "carol", "dan"):
            s.befriend("alice", friend)
        with_bob = s.direct("alice", "bob")
        with_carol = s.direct("alice", "carol")
        trip = s.group("alice", "Weekend trip", ["bob", "carol", "dan"])

        s.say("alice", trip, "Cabin is booked for Saturday and Sunday!")
        s.say("bob", trip, "Amazing. I can drive, the car fits four.")
        s.say("carol", trip, "I'll bring the board games")
        s.say("dan", trip, "Count me in. Who's bringing food?")
        s.say("carol", with_carol, "Did you see the photos from last year?")
        s.say("bob", with_bob, "Hey! Are we still on for Saturday?")
        s.say("alice", with_bob, "Yes! Leaving around 9 if that works for you.")
        s.say("bob", with_bob, "Works for me. I'll pick up Carol on the way.")
        s.say(
            "bob",
            with_bob,
            "Map of the route, in case: https://www.openstreetmap.org/#map=12/46.55/7.98",
        )
        s.say("alice", with_bob, "Great, thanks. Bring a warm jacket, it gets cold at night")
        s.read("alice", trip, 1)

        # 1) The login screen.
        ctx = browser.new_context(viewport=DESKTOP, **CONTEXT)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(base_url + "/")
        expect(tid(page, "login-form")).to_be_visible()
        tid(page, "login-username").fill(s.usernames["alice"])
        settle(page)
        page.screenshot(path=out_dir / "login.png")

        # Bob is online in his own browser: presence, "Seen" and typing come from him.
        bob_ctx = browser.new_context(viewport=DESKTOP, **CONTEXT)
        contexts.append(bob_ctx)
        bob = bob_ctx.new_page()
        login(bob, base_url, s.usernames["bob"])

        # 2) The chat list with unread badges.
        login(page, base_url, s.usernames["alice"])
        item = page.locator(f'[data-testid="channel-item"][data-channel-id="{trip}"]')
        expect(item).to_have_attribute("data-unread", "3")
        expect(tid(page, "total-unread-badge")).to_have_text("4")
        bob_item = page.locator(f'[data-testid="channel-item"][data-channel-id="{with_bob}"]')
        expect(tid(bob_item, "presence-dot")).to_have_attribute("data-status", "online")
        previews_loaded(page, 3)
        settle(page)
        page.screenshot(path=out_dir / "chat-list.png")

        # 3) A conversation: Bob has read Alice's last message and is typing.
        open_channel(page, with_bob)
        open_channel(bob, with_bob)
        newest = tid(page, "message").last
        expect(tid(newest, "read-receipt")).to_have_text("Seen")
        tid(bob, "composer-input").press_sequentially("Will do! See you", delay=30)
        expect(tid(page, "typing-indicator")).to_have_text("Bob Okafor is typing…")
        settle(page)
        page.screenshot(path=out_dir / "conversation.png")

        # 4) The group and its members.
        open_channel(page, trip)
        expect(tid(page, "message")).to_have_count(4)
        tid(page, "members-button").click()
        expect(tid(page, "member-item")).to_have_count(4)
        member_bob = page.locator(f'[data-testid="member-item"][data-user-id="{s.ids["bob"]}"]')
        expect(member_bob).to_contain_text("Online")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.screenshot(path=out_dir / "group-members.png")
        page.keyboard.press("Escape")

        # 5) Phone: the list and the conversation are separate views.
        phone_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **CONTEXT)
        contexts.append(phone_ctx)
        phone = phone_ctx.new_page()
        login(phone, base_url, s.usernames["alice"])
        expect(tid(phone, "conversation")).to_be_hidden()
        previews_loaded(phone, 3)
        settle(phone)
        phone.screenshot(path=out_dir / "phone-list.png")
        open_channel(phone, trip)
        expect(tid(phone, "channel-list")).to_be_hidden()
        expect(tid(phone, "message")).to_have_count(4)
        settle(phone)
        phone.screenshot(path=out_dir / "phone-conversation.png")

        # 6) Offline: the app starts from its own cache and queues what is sent.
        phone.wait_for_function("() => !!navigator.serviceWorker.controller")
        phone.wait_for_timeout(300)  # the batched cache write of the messages just shown
        phone_ctx.set_offline(True)
        phone.reload()
        expect(tid(phone, "offline-banner")).to_be_visible()
        expect(tid(phone, "message")).to_have_count(4)
        box = tid(phone, "composer-input")
        box.fill("I'll bring snacks too")
        box.press("Enter")
        expect(tid(phone, "message").last).to_have_attribute("data-state", "pending")
        settle(phone)
        phone.screenshot(path=out_dir / "phone-offline.png")
        phone_ctx.set_offline(False)
        expect(tid(phone, "message").last).to_have_attribute("data-state", "sent")

        # 7) Dark mode follows the system; emoji and other scripts from the font stack.
        dark_ctx = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, **{**CONTEXT, "color_scheme": "dark"}
        )
        contexts.append(dark_ctx)
        dark = dark_ctx.new_page()
        login(dark, base_url, s.usernames["bob"])
        open_channel(dark, with_bob)
        s.say("alice", with_bob, "Bon voyage 🚗⛰️ Добрый путь · 良い旅を · رحلة سعيدة")
        expect(tid(dark, "message-text").last).to_contain_text("Bon voyage")
        settle(dark)
        dark.screenshot(path=out_dir / "phone-dark.png")

        # 8) Pictures and files: a thumbnail that opens full size, a file card.
        open_channel(page, with_carol)
        s.say_with_files(
            "carol",
            with_carol,
            "Found them! And the packing list",
            [("cabin-lake.jpg", lake_photo()), ("packing-list.pdf", PDF)],
        )
        thumb = tid(page, "attachment-thumbnail").last
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        expect(tid(page, "attachment-file").last).to_contain_text("packing-list.pdf")
        settle(page)
        page.screenshot(path=out_dir / "attachments.png")
    finally:
        for ctx in contexts:
            ctx.close()
        s.close()
    return [out_dir / name for name in SHOTS]


@contextmanager
def serve() -> Iterator[str]:
    """`chinwag serve` on a free port with a fresh data directory; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="chinwag-shots-") as data:
        cmd = [
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--port",
            "0",
            "--data-dir",
            data,
            "--log-level",
            "warning",
            "--argon2-time-cost",
            "1",
            "--argon2-memory-kib",
            "8",
            "--drain-seconds",
            "0",
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            m = re.search(r"listening on (http://\S+)", line)
            if not m:
                raise RuntimeError(f"chinwag serve did not start: {line!r}")
            yield m.group(1)
        finally:
            proc.terminate()
            proc.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (no browser is downloaded)")
    expect.set_options(timeout=10_000)
    with serve() as base_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for path in capture(browser, base_url, args.out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
