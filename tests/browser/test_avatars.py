"""Avatars in the web client: chosen in the profile settings (uploaded, then set), shown
from the server to the other side; and the page's CSP lets no image of another origin in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.support import Backend, PageErrors, channel_item, login_ui, tid
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., BrowserContext]
LOADED = "img => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')"

# Resolves with the directive the CSP refused an image of another origin under, or with
# what became of the image if it was let through.
FOREIGN_IMAGE = """(src) => new Promise((resolve) => {
  document.addEventListener('securitypolicyviolation',
    (e) => resolve(e.violatedDirective), { once: true });
  const img = new Image();
  img.onload = () => resolve('loaded');
  img.onerror = () => setTimeout(() => resolve('error'), 500);
  img.src = src;
  document.body.append(img);
})"""


def shown_avatar(page: Page, box: Locator) -> Locator:
    picture = box.locator('[data-testid="avatar-image"]')
    expect(picture).to_have_count(1)
    page.wait_for_function(LOADED, arg=picture.element_handle())
    return picture


def test_choose_an_avatar_and_the_other_side_sees_it(
    web: RunningServer,
    backend: Backend,
    contexts: NewContext,
    page_errors: PageErrors,
    tmp_path: Path,
) -> None:
    a, b, channel = backend.friends_in_chat("Ottilie", "Pavel")
    picture = tmp_path / "face.png"
    Image.linear_gradient("L").resize((500, 400)).convert("RGB").save(picture)
    ottilie = login_ui(page_errors.watch(contexts().new_page(), "ottilie"), web.base_url, a)
    pavel = login_ui(page_errors.watch(contexts().new_page(), "pavel"), web.base_url, b)
    peer = channel_item(pavel, channel).locator(".avatar")
    expect(peer.locator("img")).to_have_count(0)  # initials until there is an avatar

    # Ottilie chooses the image: it is uploaded at once and previewed, then saved.
    tid(ottilie, "profile-button").click()
    tid(ottilie, "profile-avatar-file").set_input_files(str(picture))
    shown_avatar(ottilie, tid(ottilie, "profile-avatar-preview"))
    tid(ottilie, "profile-save").click()
    expect(tid(ottilie, "profile-dialog")).to_be_hidden()
    me = backend.http.get("/v1/me", headers=a.auth).json()
    assert me["avatar_id"] is not None
    assert me["avatar_url"] == f"/v1/attachments/{me['avatar_id']}/thumbnail"
    mine = shown_avatar(ottilie, tid(ottilie, "profile-button"))
    assert mine.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 256]

    # Pavel's list shows her avatar, read from the server (the thumbnail), once he
    # learns of the change.
    pavel.reload()
    shown = shown_avatar(pavel, channel_item(pavel, channel).locator(".avatar"))
    assert shown.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 256]

    # Removing it brings the initials back.
    tid(ottilie, "profile-button").click()
    tid(ottilie, "profile-avatar-remove").click()
    tid(ottilie, "profile-save").click()
    expect(tid(ottilie, "profile-dialog")).to_be_hidden()
    expect(tid(ottilie, "profile-button").locator("img")).to_have_count(0)
    assert backend.http.get("/v1/me", headers=a.auth).json()["avatar_id"] is None


def test_the_page_loads_no_image_from_another_origin(
    web: RunningServer, backend: Backend, contexts: NewContext
) -> None:
    a = backend.account("Quentin")
    page = contexts().new_page()  # not watched: the refusals below are logged as errors
    response = page.goto(web.base_url + "/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    [img_src] = [d.split()[1:] for d in csp.split(";") if d.split()[:1] == ["img-src"]]
    assert "https:" not in img_src and img_src == ["'self'", "data:", "blob:"]
    login_ui(page, web.base_url, a)
    # The browser holds to it: an https image, and one of this very server under another
    # name (another origin), are refused before any request goes out.
    other = web.base_url.replace("127.0.0.1", "localhost")
    for src in ("https://elsewhere.example/face.png", other + "/icons/icon-192.png"):
        assert page.evaluate(FOREIGN_IMAGE, src) == "img-src", src
    assert page.evaluate(FOREIGN_IMAGE, web.base_url + "/icons/icon-192.png") == "loaded"
