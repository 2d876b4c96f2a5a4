"""The web client as an installed app: manifest, service worker, offline start, queued
sends, updates without a mix of versions, and notifications opening a conversation."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from chinwag.api.static import default_web_dir
from chinwag.webbuild import write as build_web
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import WEB_SETTINGS, WebServer
from tests.browser.support import (
    Backend,
    PageErrors,
    channel_item,
    login_ui,
    open_channel,
    send,
    tid,
    wait_online,
)
from tests.helpers.server import RunningServer, test_settings

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


def wait_controlled(page: Page) -> None:
    """The service worker has installed the shell and controls this page."""
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def wait_until(page: Page, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition that needs the page (an IndexedDB count), letting the page run."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(20)


def cached_message_count(page: Page, user_id: str) -> int:
    count: int = page.evaluate(
        """(name) => new Promise((resolve, reject) => {
            const r = indexedDB.open(name);
            r.onerror = () => reject(r.error);
            r.onsuccess = () => {
                const tx = r.result.transaction('messages');
                const c = tx.objectStore('messages').count();
                c.onsuccess = () => { resolve(c.result); r.result.close(); };
            };
        })""",
        f"chinwag-user-{user_id}",
    )
    return count


def test_installable_manifest_and_a_controlling_service_worker(
    web: RunningServer, contexts: NewContext, page_errors: PageErrors
) -> None:
    page = page_errors.watch(contexts().new_page(), "page")
    page.goto(web.base_url + "/")
    expect(tid(page, "login-form")).to_be_visible()
    wait_controlled(page)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"] == web.base_url + "/manifest.webmanifest"
    # Parsed by Chromium without errors; the fields are checked in what it fetched.
    data: dict[str, Any] = json.loads(manifest["data"])
    assert data["name"] == "chinwag" and data["short_name"]
    assert data["display"] == "standalone"
    assert data["start_url"] == "/" and data["scope"] == "/"
    assert data["theme_color"] and data["background_color"]
    purposes = {icon["purpose"] for icon in data["icons"]}
    assert {"any", "maskable"} <= purposes, purposes
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        r = page.request.get(web.base_url + icon["src"])
        assert r.status == 200 and r.headers["content-type"] == icon["type"], icon
    # Chromium's own install criteria (manifest, icons, service worker with a fetch handler);
    # a Playwright context is an incognito profile, which no site can be installed from.
    found = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e for e in found if e["errorId"] != "in-incognito"] == [], found
    # Every file of the shell is in the cache of this build.
    cached = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const urls = [];
            for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
            return {names, urls};
        }"""
    )
    assert len(cached["names"]) == 1 and cached["names"][0].startswith("chinwag-shell-")
    script = page.locator("script[type=module]").get_attribute("src")
    assert script is not None and re.fullmatch(r"/assets/app-[0-9a-f]+\.js", script)
    assert {"/", script, "/manifest.webmanifest"} <= set(cached["urls"])


def test_offline_start_shows_cached_conversations_and_sends_when_back(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Nadia", "Omar")
    for text in ("first from Omar", "second from Omar"):
        backend.send(b, channel, text)
    context = contexts()
    page = login_ui(page_errors.watch(context.new_page(), "nadia"), web.base_url, a)
    wait_controlled(page)
    open_channel(page, channel)
    expect(tid(page, "message-text")).to_have_text(["first from Omar", "second from Omar"])
    wait_until(page, lambda: cached_message_count(page, a.id) >= 2)  # written in batches

    # No network at all: the app still starts, from the shell cache and IndexedDB.
    context.set_offline(True)
    page.reload()
    expect(tid(page, "offline-banner")).to_be_visible()
    expect(tid(page, "connection-state")).not_to_have_attribute("data-state", "online")
    expect(tid(page, "conversation-title")).to_have_text("Omar")  # the route survives
    expect(tid(page, "message-text")).to_have_text(["first from Omar", "second from Omar"])
    tid(page, "back-button").evaluate("b => b.click()")
    item = channel_item(page, channel)
    expect(tid(item, "channel-name")).to_have_text("Omar")
    expect(tid(item, "channel-preview")).to_have_text("second from Omar")
    open_channel(page, channel)

    # Written offline: shown at once as pending, and delivered once the network is back.
    queued = send(page, "written with no network")
    expect(queued).to_have_attribute("data-state", "pending")
    expect(tid(queued, "message-status")).to_have_text("Sending…")
    assert [m["text"] for m in backend.history(a, channel)][-1] == "second from Omar"
    context.set_offline(False)
    wait_online(page)
    expect(queued).to_have_attribute("data-state", "sent")
    expect(tid(page, "offline-banner")).to_be_hidden()
    texts = [m["text"] for m in backend.history(a, channel)]
    assert texts == ["first from Omar", "second from Omar", "written with no network"]
    assert cached_message_count(page, a.id) >= 2


def test_a_notification_opens_its_conversation(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Pia", "Quentin")
    backend.send(b, channel, "look at this")
    context = contexts()
    page = login_ui(page_errors.watch(context.new_page(), "pia"), web.base_url, a)
    wait_controlled(page)
    expect(tid(page, "conversation-empty")).to_be_visible()
    # What the worker's notificationclick handler does, with the channel id of the push.
    worker = next(w for w in context.service_workers if w.url.endswith("/sw.js"))
    assert worker.evaluate("(id) => openConversation(id).then(() => true)", channel)
    expect(tid(page, "conversation-title")).to_have_text("Quentin")
    expect(tid(page, "message-text")).to_have_text(["look at this"])
    assert page.url.endswith(f"#/c/{channel}")

    # With no window open the worker opens the app at that address: it shows it too.
    other = page_errors.watch(context.new_page(), "from a notification")
    other.goto(f"{web.base_url}/#/c/{channel}")
    expect(tid(other, "conversation-title")).to_have_text("Quentin")


# A push as the server sends it, delivered to the worker through the DevTools protocol.
def deliver_push(context: BrowserContext, page: Page, origin: str, payload: dict[str, Any]) -> None:
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    wait_until(page, lambda: any(r["scopeURL"] == origin + "/" for r in registrations))
    registration = next(r for r in registrations if r["scopeURL"] == origin + "/")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": origin,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )


# The worker clicks the notification its push handler showed: a notificationclick event
# carrying that notification goes through the worker's own listener. (An event made by a
# script cannot extend its lifetime, so waitUntil refuses it; the handler has already
# started opening the conversation by then.)
CLICK_NOTIFICATION = """async ([tag, waitMs]) => {
  let shown = [];
  // By the clock, not a count of polls: a busy machine stretches each one.
  const deadline = Date.now() + waitMs;
  while (!shown.length && Date.now() < deadline) {
    shown = await self.registration.getNotifications({ tag });
    if (!shown.length) await new Promise((r) => setTimeout(r, 10));
  }
  if (!shown.length) return null;
  const [n] = shown;
  const seen = { title: n.title, body: n.body, data: n.data };
  self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
  return seen;
}"""


def push_and_click(
    context: BrowserContext, page: Page, origin: str, payload: dict[str, Any], tag: str
) -> Any:
    """Deliver a push, then click the notification it shows; what the notification said.

    The browser can drop a push delivered while it is very busy (seen once in a full run
    on 2 cores: no notification in 20 s). A real push service retries; so does this.
    """
    for _ in range(3):
        deliver_push(context, page, origin, payload)
        worker = next(w for w in context.service_workers if w.url.endswith("/sw.js"))
        shown = worker.evaluate(CLICK_NOTIFICATION, [tag, 8000])
        if shown is not None:
            return shown
    return None


def test_clicking_a_push_notification_opens_its_conversation(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Rosa", "Sami")
    backend.send(b, channel, "the one to open")
    other = backend.group(a, "Elsewhere", [b])
    backend.send(b, other, "not this one")
    context = contexts(permissions=["notifications"])
    page = login_ui(page_errors.watch(context.new_page(), "rosa"), web.base_url, a)
    wait_controlled(page)
    open_channel(page, other)
    expect(tid(page, "conversation-title")).to_have_text("Elsewhere")

    shown = push_and_click(
        context,
        page,
        web.base_url,
        {"channel_id": channel, "sender_name": "Sami", "count": 2, "text": "the one to open"},
        f"channel-{channel}",
    )
    assert shown == {
        "title": "Sami",
        "body": "the one to open (+1 more)",
        "data": {"channel_id": channel},
    }
    expect(tid(page, "conversation-title")).to_have_text("Sami")
    expect(tid(page, "message-text")).to_have_text(["the one to open"])
    assert page.url.endswith(f"#/c/{channel}")
    # The click closed the notification.
    worker = next(w for w in context.service_workers if w.url.endswith("/sw.js"))
    assert (
        worker.evaluate(
            "(tag) => self.registration.getNotifications({ tag }).then((n) => n.length)",
            f"channel-{channel}",
        )
        == 0
    )
    # Back returns to where the person was before.
    page.go_back()
    expect(tid(page, "conversation-title")).to_have_text("Elsewhere")


@pytest.fixture
def updatable(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    """A server of its own whose web files the test can rebuild."""
    web_dir = tmp_path / "web"
    shutil.copytree(
        default_web_dir(), web_dir, ignore=shutil.ignore_patterns("README.md", "__pycache__")
    )
    settings = test_settings(tmp_path / "data", web_dir=str(web_dir), **WEB_SETTINGS)
    with WebServer(settings) as running:
        yield running, web_dir


ASSET_REFS = """() => [...document.querySelectorAll('script[src], link[href]')]
  .map((e) => e.getAttribute('src') || e.getAttribute('href'))
  .filter((u) => u.startsWith('/assets/'))"""


def asset_names(page: Page) -> list[str]:
    names: list[str] = page.evaluate(
        "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
        ".filter(p => p.startsWith('/assets/'))"
    )
    return names


def shell_assets(web_dir: Path) -> set[str]:
    """The assets of the built version: the page's three and the parts loaded later."""
    m = re.search(r"const SHELL = (\[.*\]);", (web_dir / "sw.js").read_text())
    assert m
    return {u for u in json.loads(m.group(1)) if u.startswith("/assets/")}


def assert_one_version(page: Page, refs: set[str], shell: set[str]) -> None:
    """What the page loaded is its own three assets and parts of the same version."""
    loaded = set(asset_names(page))
    assert refs <= loaded <= shell, (loaded, refs, shell)


def test_a_new_version_waits_for_a_reload_and_never_mixes_with_the_old(
    updatable: tuple[RunningServer, Path], browser: Browser, page_errors: PageErrors
) -> None:
    server, web_dir = updatable
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    try:
        page = page_errors.watch(context.new_page(), "page")
        page.goto(server.base_url + "/")
        wait_controlled(page)
        old = set(page.evaluate(ASSET_REFS))
        assert len(old) == 3  # the app's script, its stylesheet, the small boot script
        old_shell = shell_assets(web_dir)
        assert_one_version(page, old, old_shell)

        # A new release on the server: new script, new stylesheet, new worker.
        css = web_dir / "app.css"
        css.write_text(css.read_text() + "\n/* release 2 */\n")
        main = web_dir / "js" / "app.js"
        main.write_text(main.read_text() + "\nexport const RELEASE = 2;\n")
        build_web(web_dir)
        index = (web_dir / "index.html").read_text()
        new = set(re.findall(r'"(/assets/[a-z]+-[0-9a-f]+\.(?:js|css))"', index))
        assert len(new) == 3 and len(new & old) == 1  # boot.js did not change
        new_script = next(n for n in new if n.startswith("/assets/app-") and n.endswith(".js"))
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")

        # The running page is told, and keeps running the old version meanwhile.
        banner = tid(page, "update-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("new version")
        assert_accessible(page, "update available")
        # A reload before accepting still gets the old version whole (the old worker serves).
        page.reload()
        expect(tid(page, "login-form")).to_be_visible()
        assert_one_version(page, old, old_shell)
        expect(banner).to_be_visible()

        tid(page, "update-reload").click()
        page.wait_for_function(
            "(src) => document.querySelector('script[type=module]').getAttribute('src') === src",
            arg=new_script,
        )
        expect(tid(page, "login-form")).to_be_visible()
        expect(banner).to_be_hidden()
        wait_controlled(page)
        assert_one_version(page, new, shell_assets(web_dir))
        caches = page.evaluate("caches.keys()")
        assert len(caches) == 1  # the old version's cache is gone
    finally:
        context.close()


def test_a_saved_session_asks_for_the_list_before_the_app_script_has_run(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, _, channel = backend.friends_in_chat("Rhea", "Sven")
    context = contexts()
    page = login_ui(page_errors.watch(context.new_page(), "rhea"), web.base_url, a)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    asked: list[dict[str, Any]] = []
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: asked.append(e) if e["request"]["url"].endswith("/v1/channels") else None,
    )
    page.reload()
    expect(tid(channel_item(page, channel), "channel-name")).to_have_text("Sven")
    wait_online(page)
    assert asked, "no request for the list"
    # The first one came from boot.js (the app took its answer over rather than asking again).
    stack = asked[0]["initiator"].get("stack") or {}
    urls = []
    while stack:
        urls += [f["url"] for f in stack.get("callFrames", [])]
        stack = stack.get("parent")
    assert any("/assets/boot-" in u for u in urls), urls


def test_a_warm_start_shows_the_last_list_as_its_script_runs_and_logout_forgets_it(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, _, channel = backend.friends_in_chat("Tove", "Ulf")
    # No service worker: the page's own requests are the ones held below.
    context = contexts(service_workers="block")
    page = login_ui(page_errors.watch(context.new_page(), "tove"), web.base_url, a)
    expect(tid(channel_item(page, channel), "channel-name")).to_have_text("Ulf")
    snapshot = f"chinwag.list.{a.id}"
    page.wait_for_function("(k) => localStorage.getItem(k) !== null", arg=snapshot)
    # What the list held when the app's script had run, before any later task: no answer
    # from IndexedDB or the network can have come by then.
    context.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
            window.atParsed = [...document.querySelectorAll('[data-testid=channel-name]')]
                .map((e) => e.textContent);
        });"""
    )
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # the network never answers

    context.route("**/v1/**", hold)
    page.reload()
    assert page.evaluate("window.atParsed") == ["Ulf"]
    expect(tid(page, "channel-list-loading")).to_be_hidden()
    assert held, "the list was asked for"

    context.unroute("**/v1/**", hold)  # the held requests go on to the server
    tid(page, "logout-button").click()
    expect(tid(page, "login-form")).to_be_visible()
    assert page.evaluate("(k) => localStorage.getItem(k)", snapshot) is None
    page.reload()
    expect(tid(page, "login-form")).to_be_visible()
    assert page.evaluate("window.atParsed") == []


def test_the_first_page_holds_only_the_first_screen_and_the_views_bring_their_dialogs(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, _, channel = backend.friends_in_chat("Vera", "Wim")
    context = contexts(service_workers="block")
    page = login_ui(page_errors.watch(context.new_page(), "vera"), web.base_url, a)
    expect(tid(channel_item(page, channel), "channel-name")).to_have_text("Wim")
    # The page as parsed: what the list needs, and no dialog past it.
    context.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
            window.parsedDialogs = [...document.querySelectorAll('dialog')].map((d) => d.id);
        });"""
    )
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # views.js not answered yet

    context.route("**/assets/views-*.js", hold)
    page.reload()
    expect(tid(channel_item(page, channel), "channel-name")).to_have_text("Wim")
    assert page.evaluate("window.parsedDialogs") == ["profile-dialog"]
    # The request is made once the list has loaded, and its route reaches this process
    # some time later (under load, after the evaluate above had returned).
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "views.js was asked for once the list showed"
    assert page.locator("dialog").count() == 1

    context.unroute("**/assets/views-*.js", hold)  # the held request goes on to the server
    expect(tid(page, "settings-dialog")).to_be_attached()
    for name in ("media-viewer", "group-dialog", "members-dialog", "confirm-dialog"):
        expect(tid(page, name)).to_be_attached()
    # Made once, used by keyboard: the settings open, Escape closes them, focus returns.
    tid(page, "settings-button").focus()
    page.keyboard.press("Enter")
    expect(tid(page, "settings-dialog")).to_be_visible()
    assert_accessible(page, "settings")
    page.keyboard.press("Escape")
    expect(tid(page, "settings-dialog")).to_be_hidden()
    expect(tid(page, "settings-button")).to_be_focused()
    assert page.locator("#settings-dialog").count() == 1
