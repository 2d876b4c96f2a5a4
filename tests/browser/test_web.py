"""The web client in Debian's Chromium against a real server (issue 9, "How it is shown").

Each test sets up its own users (over HTTP where the setup is not the point), opens one
browser context per device and checks what is shown with Playwright's auto-waiting
assertions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import (
    PHONE,
    Backend,
    PageErrors,
    channel_item,
    login_ui,
    message_ids,
    message_texts,
    open_channel,
    send,
    signup_ui,
    tid,
    unique_username,
    wait_online,
)
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


def user_id_of(page: Page) -> str:
    uid: str = page.evaluate("JSON.parse(localStorage.getItem('chinwag.session')).user.id")
    return uid


def test_sign_up_befriend_chat_presence_typing_and_receipts(
    web: RunningServer, contexts: NewContext, page_errors: PageErrors
) -> None:
    alice = page_errors.watch(contexts().new_page(), "alice")
    bob_context = contexts()
    bob = page_errors.watch(bob_context.new_page(), "bob")
    alice_name, bob_name = unique_username("alice"), unique_username("bob")
    signup_ui(alice, web.base_url, alice_name, "Alice")
    signup_ui(bob, web.base_url, bob_name, "Bob")
    expect(tid(alice, "channel-list-empty")).to_be_visible()
    expect(tid(alice, "conversation-empty")).to_be_visible()
    alice_id, bob_id = user_id_of(alice), user_id_of(bob)

    # Alice finds Bob by username and asks; Bob sees the request live and accepts.
    tid(alice, "tab-friends").click()
    expect(tid(alice, "friend-list-empty")).to_be_visible()
    tid(alice, "user-search-input").fill(bob_name)
    tid(alice, "user-search-button").click()
    result = tid(alice, "user-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-relation", "none")
    expect(tid(result, "person-name")).to_have_text("Bob")
    tid(result, "add-friend-button").click()
    expect(result).to_have_attribute("data-relation", "outgoing")
    expect(tid(alice, "friend-request")).to_have_attribute("data-direction", "outgoing")

    expect(tid(bob, "requests-badge")).to_have_text("1")
    tid(bob, "tab-friends").click()
    request = tid(bob, "friend-requests-incoming").locator('[data-testid="friend-request"]')
    expect(request).to_have_attribute("data-user-id", alice_id)
    expect(tid(request, "person-name")).to_have_text("Alice")
    tid(request, "friend-request-accept").click()
    expect(tid(bob, "requests-badge")).to_be_hidden()
    expect(tid(bob, "friend-requests-empty")).to_be_visible()

    # Both see each other as friends, online.
    bob_on_alice = alice.locator(f'[data-testid="friend-item"][data-user-id="{bob_id}"]')
    alice_on_bob = bob.locator(f'[data-testid="friend-item"][data-user-id="{alice_id}"]')
    expect(bob_on_alice).to_have_attribute("data-status", "online")
    expect(tid(bob_on_alice, "presence-dot")).to_have_attribute("data-status", "online")
    expect(tid(bob_on_alice, "friend-last-active")).to_have_text("Online")
    expect(alice_on_bob).to_have_attribute("data-status", "online")
    expect(result).to_have_attribute("data-relation", "friend")

    # Alice opens a direct chat from the friends list and says hello.
    tid(bob_on_alice, "friend-message-button").click()
    expect(tid(alice, "conversation-title")).to_have_text("Bob")
    expect(tid(alice, "conversation-subtitle")).to_have_attribute("data-status", "online")
    expect(tid(alice, "history-status")).to_have_text("No messages yet. Say hello!")
    expect(tid(alice, "members-button")).to_be_hidden()
    first = send(alice, "Hi Bob!")
    expect(first).to_have_attribute("data-state", "sent")
    expect(first).to_have_attribute("data-message-id", "1")
    expect(tid(first, "message-status")).to_have_text("Sent")
    expect(tid(first, "read-receipt")).to_be_hidden()
    channel_id = alice.url.split("#/c/")[1]

    # Bob: a new conversation with an unread badge, in the tab title too.
    tid(bob, "tab-chats").click()
    item = channel_item(bob, channel_id)
    expect(item).to_have_attribute("data-unread", "1")
    expect(tid(item, "unread-badge")).to_have_text("1")
    expect(tid(item, "channel-name")).to_have_text("Alice")
    expect(tid(item, "channel-preview")).to_have_text("Hi Bob!")
    expect(tid(item, "presence-dot")).to_have_attribute("data-status", "online")
    expect(tid(bob, "total-unread-badge")).to_have_text("1")
    expect(bob).to_have_title("(1) chinwag")

    # Bob reads it: his badge clears, Alice's message shows "Seen".
    open_channel(bob, channel_id)
    expect(tid(bob, "message-text")).to_have_text(["Hi Bob!"])
    expect(tid(bob, "message")).to_have_attribute("data-sender-id", alice_id)
    expect(item).to_have_attribute("data-unread", "0")
    expect(tid(bob, "total-unread-badge")).to_be_hidden()
    expect(bob).to_have_title("chinwag")
    expect(tid(first, "read-receipt")).to_have_text("Seen")
    expect(tid(first, "message-status")).to_be_hidden()

    # Bob types: Alice sees it; his message ends the indicator.
    tid(bob, "composer-input").press_sequentially("Hello Al", delay=20)
    typing = tid(alice, "typing-indicator")
    expect(typing).to_have_text("Bob is typing…")
    expect(typing).to_have_attribute("data-user-ids", bob_id)
    tid(bob, "composer-input").press_sequentially("ice!")
    tid(bob, "composer-input").press("Enter")
    expect(tid(alice, "message-text")).to_have_text(["Hi Bob!", "Hello Alice!"])
    expect(typing).to_be_hidden()
    expect(tid(alice, "typing-indicator")).to_have_attribute("data-user-ids", "")
    # Alice had the conversation open, so Bob's reply shows as seen on his side.
    expect(tid(bob, "message").last.locator('[data-testid="read-receipt"]')).to_have_text("Seen")
    reply = send(alice, "How are you?")
    expect(reply).to_have_attribute("data-message-id", "3")
    expect(tid(reply, "read-receipt")).to_have_text("Seen")
    expect(tid(first, "read-receipt")).to_be_hidden()  # only on the newest one read

    # Presence: Bob closes his only tab, goes offline (after the grace), comes back.
    subtitle = tid(alice, "conversation-subtitle")
    bob.close()
    expect(bob_on_alice).to_have_attribute("data-status", "offline")
    expect(tid(bob_on_alice, "presence-dot")).to_have_attribute("data-status", "offline")
    expect(subtitle).to_have_attribute("data-status", "offline")
    expect(subtitle).to_have_text(re.compile(r"^Last active "))
    expect(tid(channel_item(alice, channel_id), "presence-dot")).to_have_attribute(
        "data-status", "offline"
    )
    bob = page_errors.watch(bob_context.new_page(), "bob again")
    bob.goto(web.base_url + "/")  # the session is remembered
    wait_online(bob)
    expect(subtitle).to_have_attribute("data-status", "online")
    expect(subtitle).to_have_text("Online")
    expect(bob_on_alice).to_have_attribute("data-status", "online")

    # ... and Bob sees Alice's presence change the same way.
    tid(bob, "tab-friends").click()
    alice_on_bob = bob.locator(f'[data-testid="friend-item"][data-user-id="{alice_id}"]')
    expect(alice_on_bob).to_have_attribute("data-status", "online")
    alice.close()
    expect(alice_on_bob).to_have_attribute("data-status", "offline")
    expect(tid(alice_on_bob, "friend-last-active")).to_have_text(re.compile(r"^Last active "))


def test_third_user_joins_a_group(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, c = backend.account("Ada"), backend.account("Ben"), backend.account("Cleo")
    backend.befriend(a, b)
    backend.befriend(a, c)
    ada = login_ui(page_errors.watch(contexts().new_page(), "ada"), web.base_url, a)
    ben = login_ui(page_errors.watch(contexts().new_page(), "ben"), web.base_url, b)
    cleo = login_ui(page_errors.watch(contexts().new_page(), "cleo"), web.base_url, c)

    # Ada creates a group with Ben.
    tid(ada, "new-group-button").click()
    dialog = tid(ada, "group-dialog")
    expect(dialog).to_be_visible()
    expect(tid(dialog, "group-member-option")).to_have_count(2)
    tid(dialog, "group-name-input").fill("Book club")
    ada.locator(f'[data-testid="group-member-checkbox"][data-user-id="{b.id}"]').check()
    tid(dialog, "group-create-submit").click()
    expect(dialog).to_be_hidden()
    expect(tid(ada, "conversation-title")).to_have_text("Book club")
    expect(tid(ada, "conversation-subtitle")).to_have_text(re.compile(r"^2 members"))
    group_id = ada.url.split("#/c/")[1]
    send(ada, "Welcome to the book club")

    group_on_ben = channel_item(ben, group_id)
    expect(group_on_ben).to_have_attribute("data-kind", "group")
    expect(group_on_ben).to_have_attribute("data-unread", "1")
    expect(tid(group_on_ben, "channel-preview")).to_have_text("Ada: Welcome to the book club")
    expect(channel_item(cleo, group_id)).to_have_count(0)

    # Ada adds Cleo from the members dialog; Cleo's list gets the group live.
    tid(ada, "members-button").click()
    members = tid(ada, "members-dialog")
    expect(tid(members, "member-item")).to_have_count(2)
    tid(members, "member-add-select").select_option(c.id)
    tid(members, "member-add-button").click()
    expect(tid(members, "member-item")).to_have_count(3)
    expect(members.locator(f'[data-testid="member-item"][data-user-id="{c.id}"]')).to_contain_text(
        "Cleo"
    )
    # Each member's name, with their presence on the line below.
    ben_row = members.locator(f'[data-testid="member-item"][data-user-id="{b.id}"]')
    expect(ben_row.locator(".person-sub")).to_have_text("Online")
    name_box = ben_row.locator(".person-name").bounding_box()
    sub_box = ben_row.locator(".person-sub").bounding_box()
    assert name_box is not None and sub_box is not None
    assert sub_box["y"] >= name_box["y"] + name_box["height"] - 1
    tid(members, "members-close").click()
    expect(members).to_be_hidden()
    expect(tid(ada, "conversation-subtitle")).to_have_text(re.compile(r"^3 members"))

    group_on_cleo = channel_item(cleo, group_id)
    expect(tid(group_on_cleo, "channel-name")).to_have_text("Book club")
    open_channel(cleo, group_id)
    expect(tid(cleo, "conversation-title")).to_have_text("Book club")
    send(cleo, "Hi all, Cleo here")

    open_channel(ben, group_id)
    for page in (ada, ben):
        last = tid(page, "message").last
        expect(tid(last, "message-text")).to_have_text("Hi all, Cleo here")
        expect(tid(last, "message-sender")).to_have_text("Cleo")
        expect(last).to_have_attribute("data-sender-id", c.id)

    # Everyone has it open: Ada's next message is seen by both.
    mine = send(ada, "Glad you could join")
    receipt = tid(mine, "read-receipt")
    expect(receipt).to_have_text(re.compile(r"^Seen by "))
    expect(receipt).to_contain_text("Ben")
    expect(receipt).to_contain_text("Cleo")
    expect(tid(cleo, "message-text").last).to_have_text("Glad you could join")


def test_offline_tab_catches_up_exactly(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Olga", "Pavel")
    for i in range(3):
        backend.send(a, channel, f"before {i + 1}")
    pavel_context = contexts()
    pavel = login_ui(page_errors.watch(pavel_context.new_page(), "pavel"), web.base_url, b)
    open_channel(pavel, channel)
    expect(tid(pavel, "message")).to_have_count(3)

    def shows_exactly_the_server_history(sentinel: str) -> None:
        # A message sent after the catch-up arrives after every replayed one: once it is
        # shown, anything duplicated or missing would be too.
        backend.send(a, channel, sentinel)
        expect(tid(pavel, "message-text").last).to_have_text(sentinel)
        server = backend.history(b, channel)
        assert message_ids(pavel) == [m["message_id"] for m in server]
        assert message_texts(pavel) == [m["text"] for m in server]
        states = tid(pavel, "message").evaluate_all("els => els.map(e => e.dataset.state)")
        assert set(states) == {"sent"}

    # 1) The network goes away under the open tab; the client notices (heartbeat), the
    #    other user writes meanwhile, and the same tab catches up when the network is back.
    pavel_context.set_offline(True)
    # A dead socket is given up after two heartbeats and 5 s without an answer.
    expect(tid(pavel, "connection-state")).to_have_attribute(
        "data-state", "offline", timeout=20_000
    )
    pending = send(pavel, "written offline 1")
    expect(pending).to_have_attribute("data-state", "pending")
    expect(tid(pending, "message-status")).to_have_text("Sending…")
    for i in range(3):
        backend.send(a, channel, f"while away {i + 1}")
    pavel_context.set_offline(False)
    wait_online(pavel)
    expect(pending).to_have_attribute("data-state", "sent")
    shows_exactly_the_server_history("back 1")

    # 2) Offline again, then back and the tab is reloaded: cache + cursor + outbox.
    pavel_context.set_offline(True)
    pending = send(pavel, "written offline 2")
    expect(pending).to_have_attribute("data-state", "pending")
    for i in range(4):
        backend.send(a, channel, f"while reloading {i + 1}")
    pavel_context.set_offline(False)
    pavel.reload()
    wait_online(pavel)
    expect(tid(pavel, "conversation-title")).to_have_text("Olga")  # the route survives
    shows_exactly_the_server_history("back 2")

    texts = [m["text"] for m in backend.history(a, channel)]
    assert texts.count("written offline 1") == 1
    assert texts.count("written offline 2") == 1
    assert len(texts) == 3 + 1 + 3 + 1 + 1 + 4 + 1
    assert texts.index("while reloading 4") < texts.index("back 2")


XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> <b>bold</b>'


def test_markup_in_messages_and_names_is_text(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    evil_name = '<img src=x onerror="window.__pwned = 3">Mallory'
    evil_status = "<i>busy</i><script>window.__pwned = 4</script>"
    evil_group = '<iframe src="javascript:window.__pwned = 5"></iframe>Plans'
    a = backend.account(evil_name, prefix="mallory")
    b = backend.account("Quinn")
    backend.update_me(a, status_text=evil_status)
    backend.befriend(a, b)
    channel = backend.direct(a, b)
    group = backend.group(a, evil_group, [b])
    mallory = login_ui(page_errors.watch(contexts().new_page(), "mallory"), web.base_url, a)
    quinn = login_ui(page_errors.watch(contexts().new_page(), "quinn"), web.base_url, b)
    open_channel(mallory, channel)
    open_channel(quinn, channel)

    mine = send(mallory, XSS)
    expect(mine).to_have_attribute("data-state", "sent")
    theirs = tid(quinn, "message").last
    expect(tid(theirs, "message-text")).to_have_text(XSS)
    expect(tid(quinn, "conversation-title")).to_have_text(evil_name)
    expect(tid(quinn, "conversation-subtitle")).to_have_text(f"Online · {evil_status}")
    expect(tid(channel_item(quinn, channel), "channel-preview")).to_have_text(XSS)
    expect(tid(channel_item(quinn, group), "channel-name")).to_have_text(evil_group)

    # Only http(s) URLs become links, and those open safely in a new tab.
    links = "docs at https://example.com/a?b=1, not javascript:alert(1) or data:text/html,x"
    send(mallory, links)
    text = tid(quinn, "message-text").last
    expect(text).to_have_text(links)
    anchor = text.locator("a")
    expect(anchor).to_have_count(1)
    expect(anchor).to_have_attribute("href", "https://example.com/a?b=1")
    expect(anchor).to_have_attribute("target", "_blank")
    expect(anchor).to_have_attribute("rel", re.compile(r"\bnoopener\b"))

    for page in (mallory, quinn):
        assert page.locator(".msg-text script, .msg-text img, .msg-text b").count() == 0
        assert page.locator("img[src='x'], b, i, iframe").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
    # It stays text when rendered again from the cache.
    quinn.reload()
    expect(tid(quinn, "message-text")).to_have_text([XSS, links])
    assert quinn.evaluate("typeof window.__pwned") == "undefined"


def test_a_100000_character_message_renders(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Rosa", "Sam")
    rosa = login_ui(page_errors.watch(contexts().new_page(), "rosa"), web.base_url, a)
    sam = login_ui(page_errors.watch(contexts().new_page(), "sam"), web.base_url, b)
    open_channel(rosa, channel)
    open_channel(sam, channel)

    words = "lorem ipsum dolor sit amet " * 4000  # 108,000 characters
    long_text = words[: 100_000 - 7] + "THE END"
    assert len(long_text) == 100_000

    # One character too many is refused before it leaves the browser.
    box = tid(rosa, "composer-input")
    box.fill(long_text + "!")
    box.press("Enter")
    expect(tid(rosa, "composer-error")).to_contain_text("at most 100,000 characters")
    expect(tid(rosa, "message")).to_have_count(0)

    box.fill(long_text)
    tid(rosa, "composer-send").click()
    expect(tid(rosa, "composer-error")).to_have_text("")
    mine = tid(rosa, "message").last
    expect(mine).to_have_attribute("data-state", "sent")
    expect(box).to_have_value("")

    theirs = tid(sam, "message").last
    text = tid(theirs, "message-text")
    expect(text).to_contain_text("THE END")
    assert len(text.text_content() or "") == 100_000
    assert (text.text_content() or "") == long_text
    more = tid(theirs, "message-show-more")
    expect(more).to_have_text("Show more")
    # Collapsed, and nothing sticks out sideways.
    list_box = tid(sam, "message-list").bounding_box()
    text_box = text.bounding_box()
    assert list_box is not None and text_box is not None
    assert text_box["height"] < 1000
    assert text_box["x"] + text_box["width"] <= list_box["x"] + list_box["width"]
    scroll = tid(sam, "message-list").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll[0] <= scroll[1]
    more.click()
    expect(more).to_have_text("Show less")
    expect(more).to_have_attribute("aria-expanded", "true")
    text_box = text.bounding_box()
    assert text_box is not None and text_box["height"] > 1000
    assert backend.history(b, channel)[-1]["text"] == long_text


def test_second_tab_and_second_device_stay_in_sync(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Tara", "Uri")
    laptop = contexts()
    tab1 = login_ui(page_errors.watch(laptop.new_page(), "tab 1"), web.base_url, a)
    tab2 = page_errors.watch(laptop.new_page(), "tab 2")
    tab2.goto(web.base_url + "/")  # same browser: the session is already there
    wait_online(tab2)
    phone = login_ui(page_errors.watch(contexts().new_page(), "phone"), web.base_url, a)

    # Only the tab in front gets animation frames (which Playwright's clicks wait for).
    tab1.bring_to_front()
    open_channel(tab1, channel)
    send(tab1, "from tab 1")
    for page in (tab2, phone):
        item = channel_item(page, channel)
        expect(tid(item, "channel-preview")).to_have_text("You: from tab 1")
        expect(item).to_have_attribute("data-unread", "0")

    tab2.bring_to_front()
    open_channel(tab2, channel)
    last = tid(tab2, "message").last
    expect(tid(last, "message-text")).to_have_text("from tab 1")
    expect(last).to_have_attribute("data-state", "sent")
    expect(last).to_have_class(re.compile(r"\bmine\b"))
    send(tab2, "from tab 2")
    expect(tid(tab1, "message-text")).to_have_text(["from tab 1", "from tab 2"])

    # A message from Uri while only tab 1 looks at the list: unread in the tabs not
    # showing the conversation, until one of Tara's views reads it.
    tab2.evaluate("location.hash = '#/'")
    expect(tid(tab2, "conversation-empty")).to_be_visible()
    tab1.bring_to_front()
    tid(tab1, "back-button").evaluate("b => b.click()")  # hidden at desktop width
    expect(tid(tab1, "conversation-empty")).to_be_visible()
    backend.send(b, channel, "reply from Uri")
    for page in (tab1, tab2, phone):
        expect(channel_item(page, channel)).to_have_attribute("data-unread", "1")
    open_channel(phone, channel)
    expect(tid(phone, "message-text")).to_have_text(["from tab 1", "from tab 2", "reply from Uri"])
    for page in (tab1, tab2, phone):
        expect(channel_item(page, channel)).to_have_attribute("data-unread", "0")
        expect(page).to_have_title("chinwag")

    for page in (tab1, tab2, phone):
        page.bring_to_front()
        open_channel(page, channel)
        expect(tid(page, "message-text")).to_have_text(
            ["from tab 1", "from tab 2", "reply from Uri"]
        )
        ids = message_ids(page)
        assert ids == sorted(set(ids)) and -1 not in ids


def test_phone_layout_shows_list_and_conversation_separately(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Vera", "Walt")
    backend.send(b, channel, "Are you on your phone?")
    phone = contexts(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    vera = login_ui(page_errors.watch(phone, "phone"), web.base_url, a)

    sidebar = vera.locator(".sidebar")
    conversation = tid(vera, "conversation")
    expect(sidebar).to_be_visible()
    expect(tid(vera, "channel-list")).to_be_visible()
    expect(conversation).to_be_hidden()
    item = channel_item(vera, channel)
    expect(item).to_have_attribute("data-unread", "1")

    item.locator("a").tap()
    expect(conversation).to_be_visible()
    expect(sidebar).to_be_hidden()
    expect(tid(vera, "back-button")).to_be_visible()
    expect(tid(vera, "message-text")).to_have_text(["Are you on your phone?"])
    # Their bubble starts at the left edge: no list indent, no avatar column in direct chats.
    bubble = tid(vera, "message").first.locator(".bubble").bounding_box()
    scroller = tid(vera, "message-list").bounding_box()
    assert bubble is not None and scroller is not None
    assert bubble["x"] - scroller["x"] < 20
    expect(tid(vera, "composer-input")).to_be_visible()
    send(vera, "Yes, a small one")

    def fits() -> bool:
        width: int = vera.evaluate("document.documentElement.scrollWidth")
        return width <= PHONE["width"]

    assert fits()
    tid(vera, "back-button").tap()
    expect(sidebar).to_be_visible()
    expect(conversation).to_be_hidden()
    expect(item).to_have_attribute("data-unread", "0")
    expect(tid(item, "channel-preview")).to_have_text("You: Yes, a small one")
    assert fits()
    # The back button went back in history (to the list's entry) rather than adding one:
    # forward is the conversation again, and the phone's back gesture returns to the list.
    vera.go_forward()
    expect(conversation).to_be_visible()
    expect(sidebar).to_be_hidden()
    vera.go_back()
    expect(sidebar).to_be_visible()
    expect(conversation).to_be_hidden()
    assert vera.evaluate("location.hash") in ("", "#/")
