"""The web client: reply, edit in place, delete with confirm, reactions, mention
completion, search with highlight and jump; the cache (IndexedDB) follows `update`
frames, so a reload never shows deleted text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import (
    Backend,
    PageErrors,
    login_ui,
    open_channel,
    send,
    tid,
    wait_online,
)
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


def cached(page: Page, channel_id: str, message_id: int) -> Any:
    """The message as the IndexedDB cache holds it (None if absent)."""
    return page.evaluate(
        """([cid, mid]) => new Promise((resolve, reject) => {
          const uid = JSON.parse(localStorage.getItem('chinwag.session')).user.id;
          const r = indexedDB.open('chinwag-user-' + uid);
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const g = r.result.transaction('messages').objectStore('messages').get([cid, mid]);
            g.onsuccess = () => { resolve(g.result ?? null); r.result.close(); };
            g.onerror = () => reject(g.error);
          };
        })""",
        [channel_id, message_id],
    )


def message(page: Page, message_id: int) -> Any:
    return page.locator(f'[data-testid="message"][data-message-id="{message_id}"]')


def test_reply_edit_react_delete_and_cache(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Vera", "Walt")
    first = backend.send(b, channel, "first from Walt")
    page = login_ui(page_errors.watch(contexts().new_page(), "vera"), web.base_url, a)
    other = login_ui(page_errors.watch(contexts().new_page(), "walt"), web.base_url, b)
    page.bring_to_front()
    open_channel(page, channel)

    # Reply: the composer shows what is answered; the message quotes it and jumps to it.
    m1 = message(page, first["message_id"])
    m1.hover()
    tid(m1, "message-reply-button").click()
    expect(tid(page, "composer-reply")).to_contain_text("first from Walt")
    mine = send(page, "my answer")
    expect(tid(mine, "message-reply")).to_contain_text("first from Walt")
    expect(mine).to_have_attribute("data-state", "sent")
    mid = int(mine.get_attribute("data-message-id") or 0)
    assert backend.history(b, channel)[-1]["reply_to"] == first["message_id"]
    tid(mine, "message-reply").click()
    expect(m1).to_have_attribute("data-jumped", "true")

    # Edit in place.
    mine.hover()
    tid(mine, "message-edit-button").click()
    box = tid(mine, "message-edit-input")
    expect(box).to_have_value("my answer")
    box.fill("my better answer")
    box.press("Enter")
    expect(tid(mine, "message-text")).to_have_text("my better answer")
    expect(tid(mine, "message-edited")).to_be_visible()
    other.bring_to_front()
    open_channel(other, channel)
    expect(tid(message(other, mid), "message-text")).to_have_text("my better answer")

    # Reactions: the picker adds one, the chip counts and takes it back.
    page.bring_to_front()
    m1.hover()
    tid(m1, "message-react-button").click()
    tid(m1, "reaction-option").first.click()
    chip = tid(m1, "reaction")
    expect(chip).to_have_attribute("data-count", "1")
    expect(chip).to_have_attribute("data-mine", "true")
    expect(tid(message(other, first["message_id"]), "reaction")).to_have_attribute(
        "data-count", "1"
    )
    r = backend.http.put(
        f"/v1/channels/{channel}/messages/{first['message_id']}/reactions/%F0%9F%91%8D",
        headers=b.auth,
    )
    assert r.status_code == 204
    expect(chip).to_have_attribute("data-count", "2")
    chip.click()
    expect(chip).to_have_attribute("data-count", "1")
    expect(chip).to_have_attribute("data-mine", "false")

    # Delete, with a confirm: every view and the cache lose the text.
    mine.hover()
    tid(mine, "message-delete-button").click()
    tid(page, "confirm-ok").click()
    for p in (page, other):
        gone = message(p, mid)
        expect(gone).to_have_attribute("data-deleted", "true")
        expect(tid(gone, "message-text")).to_have_text("This message was deleted.")
    # The cache takes the change on its next flush (batched writes): poll until it has.
    for _ in range(100):
        record = cached(page, channel, mid)
        if record and record["deleted"]:
            break
        page.wait_for_timeout(50)
    assert record["deleted"] is True and record["text"] == "", record
    assert "better" not in str(record)
    assert cached(page, channel, first["message_id"])["reactions"] == {"👍": [b.id]}
    page.reload()
    wait_online(page)
    open_channel(page, channel)
    expect(tid(message(page, mid), "message-text")).to_have_text("This message was deleted.")


def test_mentions_and_search(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b = backend.account("Xena"), backend.account("Yuri")
    backend.befriend(a, b)
    group = backend.group(a, "crew", [b])
    backend.send(b, group, "the meeting is in 北京 tomorrow")
    for n in range(60):
        backend.send(b, group, f"filler {n}")
    page = login_ui(page_errors.watch(contexts().new_page(), "xena"), web.base_url, a)
    open_channel(page, group)

    # Mention completion: "@" and the start of Yuri's username offers Yuri.
    box = tid(page, "composer-input")
    box.press_sequentially("hi @" + b.username[:3])
    option = page.locator(f'[data-testid="mention-option"][data-username="{b.username}"]')
    expect(option).to_be_visible()
    box.press("Tab")
    expect(box).to_have_value(f"hi @{b.username} ")
    box.press("Enter")
    expect(tid(page, "mention-list")).to_be_hidden()
    last = tid(page, "message").last
    expect(last).to_have_attribute("data-state", "sent")
    assert backend.history(a, group)[-1]["mentions"] == [b.id]

    # Search: the match is marked; choosing the result jumps to the (older) message.
    tid(page, "message-search-input").fill("北京")
    tid(page, "message-search-input").press("Enter")
    result = tid(page, "search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("北京")
    result.locator("button").click()
    found = page.locator('[data-testid="message"][data-jumped="true"]')
    expect(tid(found, "message-text")).to_have_text("the meeting is in 北京 tomorrow")
    expect(found).to_be_in_viewport()
    tid(page, "message-search-input").fill("no such words here")
    tid(page, "message-search-input").press("Enter")
    expect(tid(page, "message-search-status")).to_have_text("No messages found.")
