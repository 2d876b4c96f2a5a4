"""End-to-end encryption in the web client: two browser devices (the vendored
matrix-sdk-crypto-wasm in Chromium) and a Python device (vodozemac) in one encrypted group."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from chinwag.client import ApiClient
from chinwag.client.e2ee import DecryptionRefused, E2eeDevice, SealedFile, attachments
from tests.browser.a11y import assert_accessible
from tests.browser.support import (
    PASSWORD,
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
T = TypeVar("T")
PASSPHRASE = "purple monkey dishwasher"
WAITING = "Encrypted message: cannot decrypt it yet (waiting for its key)."


class Loop:
    """An event loop in a thread, for the Python devices (the browser tests are sync)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[ApiClient] = []

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        for client in self.clients:
            self.run(client.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


def python_device(loop: Loop, base_url: str, user: Account, folder: Path) -> E2eeDevice:
    async def open_device() -> E2eeDevice:
        async with ApiClient(base_url, user.token) as setup:
            me = await setup.login(user.username, PASSWORD, "python")
        api = ApiClient(base_url, me.token)
        loop.clients.append(api)
        store = SealedFile(folder / f"{me.device_id}.e2ee", os.urandom(32))
        return await E2eeDevice.open(api, user.id, me.device_id, store)

    return loop.run(open_device())


def unlock(page: Page) -> None:
    """The passphrase dialog of a device's first encrypted conversation."""
    expect(tid(page, "e2ee-dialog")).to_be_visible()
    tid(page, "e2ee-passphrase").fill(PASSPHRASE)
    tid(page, "e2ee-unlock").click()
    expect(tid(page, "e2ee-dialog")).to_have_count(0)


def wait_for_keys(backend: Backend, asker: Account, user: Account, devices: int) -> None:
    """Until `user` has published keys for `devices` devices (seen by `asker`)."""
    for _ in range(200):
        r = backend.http.post(
            "/v1/keys/query",
            json={"device_keys": {f"@{user.id}:chinwag": []}},
            headers=asker.auth,
        )
        assert r.status_code == 200, r.text
        if len(r.json()["device_keys"].get(f"@{user.id}:chinwag", {})) >= devices:
            return
        threading.Event().wait(0.1)
    raise AssertionError(f"{user.display_name} never published keys for {devices} devices")


def text_of(page: Page, message_id: int) -> str:
    el = page.locator(f'[data-testid="message"][data-message-id="{message_id}"]')
    expect(el).to_have_attribute("data-e2ee", "decrypted")
    return str(el.locator('[data-testid="message-text"]').text_content())


def send_stored(page: Page, text: str) -> int:
    """Send from the composer; the message's id once the server has stored it."""
    mine = send(page, text)
    expect(mine).to_have_attribute("data-state", "sent")
    return int(str(mine.get_attribute("data-message-id")))


def test_browsers_and_a_python_device_talk_in_an_encrypted_group(
    web: RunningServer,
    backend: Backend,
    contexts: NewContext,
    page_errors: PageErrors,
    loop: Loop,
    tmp_path: Path,
) -> None:
    owner, bea, cem, dan = (backend.account(n) for n in ("Olga", "Bea", "Cem", "Dan"))
    for member in (bea, cem, dan):
        backend.befriend(owner, member)
    r = backend.http.post(
        "/v1/channels",
        json={
            "kind": "group",
            "name": "secret",
            "member_ids": [bea.id, cem.id, dan.id],
            "encrypted": True,
        },
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    channel = r.json()["id"]
    olga = python_device(loop, web.base_url, owner, tmp_path)
    dans = python_device(loop, web.base_url, dan, tmp_path)

    b = login_ui(page_errors.watch(contexts().new_page(), "bea"), web.base_url, bea)
    c = login_ui(page_errors.watch(contexts().new_page(), "cem"), web.base_url, cem)
    # Nothing of the library is loaded before an encrypted conversation is opened.
    assert not b.evaluate(
        "() => performance.getEntriesByType('resource').some((e) => e.name.includes('/vendor/'))"
    )
    for page, who in ((b, bea), (c, cem)):
        open_channel(page, channel)
        unlock(page)
        expect(tid(page, "encrypted-badge")).to_be_visible()
        wait_for_keys(backend, owner, who, 1)  # the browser's (the setup login has none)
    assert_accessible(b, "encrypted conversation")

    # Python to both browsers.
    sent = loop.run(olga.send(channel, {"msgtype": "m.text", "body": "hello from python"}))
    assert backend.history(owner, channel)[-1]["text"] == ""
    assert text_of(b, sent.message_id) == "hello from python"
    assert text_of(c, sent.message_id) == "hello from python"
    preview = tid(channel_item(b, channel), "channel-preview")
    expect(preview).to_have_text("Olga: hello from python")

    # A browser to the other browser and to Python.
    bea_id = send_stored(b, "hello from bea")
    assert text_of(c, bea_id) == "hello from bea"
    message = next(m for m in loop.run(olga.api.history(channel)) if m.message_id == bea_id)
    assert message.text == "" and message.encrypted is not None
    assert loop.run(olga.decrypt(message)).content["body"] == "hello from bea"
    cem_id = send_stored(c, "and from cem")
    assert text_of(b, cem_id) == "and from cem"

    # Files: a picture from Python, shown decrypted in the browsers.
    picture = tmp_path / "picture.png"
    Image.linear_gradient("L").resize((300, 200)).convert("RGB").save(picture)
    blob, info = attachments.encrypt(picture.read_bytes())
    sealed = tmp_path / "sealed.bin"
    sealed.write_bytes(blob)
    upload = loop.run(olga.api.upload(sealed, name="encrypted"))
    item = {"id": upload.id, "name": "picture.png", "mimetype": "image/png", "file": info}
    item["size"] = picture.stat().st_size
    content = {"msgtype": "m.text", "body": "a picture", "files": [item]}
    pic = loop.run(olga.send(channel, content, attachment_ids=[upload.id]))
    for page in (b, c):
        assert text_of(page, pic.message_id) == "a picture"
        shown = page.locator(
            f'[data-message-id="{pic.message_id}"] [data-testid="attachment-thumbnail"]'
        )
        expect(shown).to_have_attribute("alt", "picture.png")
        expect(shown).to_have_js_property("naturalWidth", 300)

    # ... and a file from a browser, which Python downloads and decrypts byte for byte.
    report = tmp_path / "report.bin"
    report.write_bytes(os.urandom(5000))
    tid(b, "composer-file").set_input_files(str(report))
    expect(tid(b, "upload")).to_have_attribute("data-state", "done")
    file_id = send_stored(b, "the report")
    card = c.locator(f'[data-message-id="{file_id}"] [data-testid="attachment-name"]')
    expect(card).to_have_text("report.bin")
    stored = next(m for m in loop.run(olga.api.history(channel)) if m.message_id == file_id)
    [got] = loop.run(olga.decrypt(stored)).content["files"]
    assert (got["name"], got["size"]) == ("report.bin", 5000)
    assert [a.id for a in stored.attachments] == [got["id"]]
    loop.run(olga.api.download(got["id"], tmp_path / "got.bin"))
    opaque = (tmp_path / "got.bin").read_bytes()
    assert b"report" not in opaque
    assert attachments.decrypt(opaque, got["file"]) == report.read_bytes()

    # Dan (Python) leaves: what Bea sends next goes out under a new session he never gets.
    first = loop.run(dans.api.history(channel))[-1]
    assert loop.run(dans.decrypt(first)).content["body"] == "the report"
    loop.run(dans.api.remove_member(channel, dan.id))
    expect(tid(b, "conversation-subtitle")).to_contain_text("3 members")
    after = send_stored(b, "after dan left")
    assert text_of(c, after) == "after dan left"
    [later] = [m for m in loop.run(olga.api.history(channel)) if m.message_id == after]
    assert later.encrypted is not None and first.encrypted is not None
    assert later.encrypted["session_id"] != first.encrypted["session_id"]
    with pytest.raises(DecryptionRefused):
        loop.run(dans.decrypt(later))
    assert loop.run(olga.decrypt(later)).content["body"] == "after dan left"

    # The server's storage (SQLite files, blobs) holds ciphertext and none of the plaintext.
    folder = Path(web.app.settings.data_dir)
    stored = b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
    assert later.encrypted["ciphertext"][:64].encode() in stored  # the scan sees messages
    said = ("hello from python", "hello from bea", "and from cem", "after dan left")
    for plain in (*said, "report.bin", "picture.png"):
        assert plain.encode() not in stored, plain
    assert report.read_bytes()[:64] not in stored


def test_a_message_without_its_key_says_so_and_the_owner_turns_a_chat_encrypted(
    web: RunningServer, backend: Backend, contexts: NewContext, page_errors: PageErrors
) -> None:
    a, b, channel = backend.friends_in_chat("Ulla", "Vic")
    page = login_ui(page_errors.watch(contexts().new_page(), "ulla"), web.base_url, a)
    open_channel(page, channel)
    expect(tid(page, "encrypted-badge")).to_be_hidden()
    tid(page, "encrypt-button").click()
    tid(page, "confirm-ok").click()
    expect(tid(page, "e2ee-dialog")).to_be_visible()
    assert_accessible(page, "passphrase")
    unlock(page)
    expect(tid(page, "encrypted-badge")).to_be_visible()
    expect(tid(page, "encrypt-button")).to_be_hidden()
    # A body whose room key never reached this device: shown as waiting, never as text.
    r = backend.http.post(
        f"/v1/channels/{channel}/messages",
        json={
            "client_msg_id": "no-key",
            "encrypted": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "sender_key": "k" * 43,
                "device_id": "NOPE",
                "session_id": "s" * 43,
                "ciphertext": "AwgAEhAb",
            },
        },
        headers=b.auth,
    )
    assert r.status_code == 201, r.text
    el = page.locator(f'[data-testid="message"][data-message-id="{r.json()["message_id"]}"]')
    expect(el).to_have_attribute("data-e2ee", "waiting")
    expect(el.locator('[data-testid="message-text"]')).to_have_text(WAITING)
    assert_accessible(page, "conversation with an undecryptable message")

    # Logging out deletes this device's keys (its crypto store) with the rest.
    stores = "async () => (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('chinwag-e2ee-'))"
    assert len(page.evaluate(stores)) == 2
    tid(page, "logout-button").click()
    expect(tid(page, "login-form")).to_be_visible()
    page.wait_for_function(f"async () => (await ({stores})()).length === 0")


def test_a_new_browser_device_restores_history_from_the_recovery_key(
    web: RunningServer,
    backend: Backend,
    contexts: NewContext,
    page_errors: PageErrors,
    loop: Loop,
    tmp_path: Path,
) -> None:
    owner, bea = backend.account("Rhea"), backend.account("Sam")
    backend.befriend(owner, bea)
    r = backend.http.post(
        "/v1/channels",
        json={"kind": "direct", "user_id": bea.id, "encrypted": True},
        headers=owner.auth,
    )
    assert r.status_code in (200, 201), r.text
    channel = r.json()["id"]
    rhea = python_device(loop, web.base_url, owner, tmp_path)
    first = login_ui(page_errors.watch(contexts().new_page(), "sam"), web.base_url, bea)
    open_channel(first, channel)
    unlock(first)
    wait_for_keys(backend, owner, bea, 1)
    early = loop.run(rhea.send(channel, {"msgtype": "m.text", "body": "from before"}))
    assert text_of(first, early.message_id) == "from before"
    own = send_stored(first, "mine from before")

    # A recovery key: the room keys go to the server's backup, encrypted to it.
    tid(first, "settings-button").click()
    tid(first, "e2ee-backup-button").click()
    tid(first, "confirm-ok").click()
    key = str(tid(first, "e2ee-recovery-key").text_content())
    assert_accessible(first, "recovery key")
    tid(first, "e2ee-recovery-done").click()
    backup = backend.http.get("/v1/keys/backup", headers=bea.auth).json()
    assert backup["count"] >= 2 and key not in str(backup)

    # The Python client reads the browser's backup with the same recovery key.
    sams = python_device(loop, web.base_url, bea, tmp_path)
    assert loop.run(sams.restore(key)) >= 2
    history = {m.message_id: m for m in loop.run(sams.api.history(channel))}
    for message_id, said in ((early.message_id, "from before"), (own, "mine from before")):
        assert loop.run(sams.decrypt(history[message_id])).content["body"] == said

    # A new device has no key of that history until the recovery key restores them.
    second = login_ui(page_errors.watch(contexts().new_page(), "sam2"), web.base_url, bea)
    open_channel(second, channel)
    unlock(second)
    for message_id in (early.message_id, own):
        el = second.locator(f'[data-testid="message"][data-message-id="{message_id}"]')
        expect(el).to_have_attribute("data-e2ee", "waiting")
    tid(second, "settings-button").click()
    tid(second, "e2ee-restore-button").click()
    tid(second, "e2ee-recovery-input").fill("not a key")
    tid(second, "e2ee-restore-submit").click()
    expect(tid(second, "e2ee-restore-error")).to_have_text("That is not a recovery key.")
    assert_accessible(second, "restore from a recovery key")
    tid(second, "e2ee-recovery-input").fill(key)
    tid(second, "e2ee-restore-submit").click()
    expect(tid(second, "e2ee-backup-dialog")).to_have_count(0)
    tid(second, "settings-close").click()
    assert text_of(second, early.message_id) == "from before"
    assert text_of(second, own) == "mine from before"
