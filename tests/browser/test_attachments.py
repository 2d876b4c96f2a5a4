"""Attachments in the web client: attach an image and a file, the other side sees the
image's thumbnail and opens it full size, and downloads the file byte for byte."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from tests.browser.support import Account, Backend, PageErrors, login_ui, open_channel, tid
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]


# True once the user's IndexedDB holds the thumbnail and a message that carries it.
CACHED = """async (key) => {
  const uid = JSON.parse(localStorage.getItem('chinwag.session')).user.id;
  return new Promise((resolve) => {
    const open = indexedDB.open('chinwag-user-' + uid);
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(['media', 'messages']);
      let picture = false, carried = false;
      tx.objectStore('media').get(key).onsuccess = (e) => { picture = !!e.target.result; };
      tx.objectStore('messages').getAll().onsuccess = (e) => {
        carried = e.target.result.some((m) => (m.attachments || []).length > 0);
      };
      tx.oncomplete = () => { db.close(); resolve(picture && carried); };
      tx.onerror = () => { db.close(); resolve(false); };
    };
  });
}"""


def stored_thumbnail_key(backend: Backend, user: Account, channel: str) -> str:
    [message] = backend.history(user, channel)
    return "thumb:" + message["attachments"][0]["id"]


def test_attach_an_image_and_a_file_see_the_preview_and_download(
    web: RunningServer,
    backend: Backend,
    contexts: NewContext,
    page_errors: PageErrors,
    tmp_path: Path,
) -> None:
    a, b, channel = backend.friends_in_chat("Iris", "Jonas")
    image = tmp_path / "sunset.png"
    Image.linear_gradient("L").resize((900, 600)).convert("RGB").save(image)
    document = tmp_path / "report.html"  # a file, never shown in place
    document.write_bytes(b"<script>alert(1)</script>" + bytes(range(256)) * 40)

    iris = login_ui(page_errors.watch(contexts().new_page(), "iris"), web.base_url, a)
    jonas_context = contexts(accept_downloads=True)
    jonas = login_ui(page_errors.watch(jonas_context.new_page(), "jonas"), web.base_url, b)
    open_channel(iris, channel)
    open_channel(jonas, channel)

    # Iris attaches both through the attach button, sees them upload, and sends.
    tid(iris, "composer-file").set_input_files([str(image), str(document)])
    uploads = tid(iris, "upload")
    expect(uploads).to_have_count(2)
    expect(uploads.nth(0)).to_have_attribute("data-state", "done")
    expect(uploads.nth(1)).to_have_attribute("data-state", "done")
    tid(iris, "composer-input").fill("the pictures")
    tid(iris, "composer-input").press("Enter")
    expect(tid(iris, "upload-tray")).to_be_hidden()

    # Jonas sees the thumbnail (decoded, at most 320 px) and a card for the file.
    message = tid(jonas, "message").last
    expect(tid(message, "message-text")).to_have_text("the pictures")
    thumb = tid(message, "attachment-thumbnail")
    jonas.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    natural = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == [320, 213]
    expect(tid(message, "attachment-name")).to_have_text("report.html")

    # The full-size view.
    tid(message, "attachment-image").click()
    full = tid(jonas, "media-viewer-image")
    jonas.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=full.element_handle()
    )
    assert full.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [900, 600]
    tid(jonas, "media-viewer-close").click()

    # Both files download byte for byte: the file from its card, the image from the viewer.
    def check(saved_as: str, source: Path) -> None:
        download = info.value
        assert download.suggested_filename == source.name
        saved = tmp_path / saved_as
        download.save_as(saved)
        assert (
            hashlib.sha256(saved.read_bytes()).digest()
            == hashlib.sha256(source.read_bytes()).digest()
        )

    with jonas.expect_download() as info:
        tid(message, "attachment-download").click()
    check("saved-report", document)
    tid(message, "attachment-image").click()
    with jonas.expect_download() as info:
        tid(jonas, "media-viewer-download").click()
    check("saved-sunset", image)
    tid(jonas, "media-viewer-close").click()
    # Kept like the text: offline, after a reload, the picture still shows (IndexedDB).
    jonas.wait_for_function("() => !!navigator.serviceWorker.controller")
    jonas.wait_for_function(CACHED, arg=stored_thumbnail_key(backend, b, channel))
    jonas_context.set_offline(True)
    jonas.reload()
    expect(tid(jonas, "offline-banner")).to_be_visible()
    again = tid(jonas, "attachment-thumbnail").last
    jonas.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=again.element_handle()
    )
    jonas_context.set_offline(False)

    # The server kept the bytes the client sent.
    [stored] = backend.history(b, channel)
    assert [x["name"] for x in stored["attachments"]] == ["sunset.png", "report.html"]
    with Image.open(io.BytesIO(image.read_bytes())) as img:
        assert (stored["attachments"][0]["width"], stored["attachments"][0]["height"]) == img.size


PASTE_AND_DROP = """([kind, bytes, name]) => {
  const file = new File([new Uint8Array(bytes)], name, { type: 'image/png' });
  const data = new DataTransfer();
  data.items.add(file);
  if (kind === 'paste') {
    document.querySelector('[data-testid="composer-input"]')
      .dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  } else {
    const zone = document.querySelector('[data-testid="conversation"]');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""


def test_paste_drop_and_cancel(
    web: RunningServer,
    backend: Backend,
    contexts: NewContext,
    page_errors: PageErrors,
) -> None:
    a, b, channel = backend.friends_in_chat("Kim", "Lars")
    out = io.BytesIO()
    Image.linear_gradient("L").resize((200, 100)).save(out, "PNG")
    png = list(out.getvalue())
    kim = login_ui(page_errors.watch(contexts().new_page(), "kim"), web.base_url, a)
    open_channel(kim, channel)

    kim.evaluate(PASTE_AND_DROP, ["paste", png, "pasted.png"])
    kim.evaluate(PASTE_AND_DROP, ["drop", png, "dropped.png"])
    uploads = tid(kim, "upload")
    expect(uploads).to_have_count(2)
    expect(uploads.nth(0)).to_have_attribute("data-state", "done")
    expect(uploads.nth(1)).to_have_attribute("data-state", "done")
    tid(uploads.nth(0), "upload-cancel").click()  # changed my mind about the pasted one
    expect(uploads).to_have_count(1)
    tid(kim, "composer-send").click()  # no text: the picture alone
    mine = tid(kim, "message").last
    expect(tid(mine, "attachment-image")).to_have_count(1)
    expect(mine).to_have_attribute("data-state", "sent")
    [stored] = backend.history(b, channel)
    assert stored["text"] == ""
    assert [x["name"] for x in stored["attachments"]] == ["dropped.png"]
    assert (stored["attachments"][0]["width"], stored["attachments"][0]["height"]) == (200, 100)
