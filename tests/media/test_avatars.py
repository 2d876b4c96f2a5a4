"""Avatars are uploaded images (docs/protocol.md, "Avatars"), on both storage engines:
set by id, shown to everyone who can see the profile through the attachment routes, never
a URL of another site."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import api
from tests.media import files
from tests.media.test_uploads import uploaded


async def set_avatar(http: httpx.AsyncClient, user: api.TestUser, **body: Any) -> httpx.Response:
    return await http.patch("/v1/me", json=body, headers=user.auth)


async def test_an_avatar_is_an_uploaded_image_anyone_signed_in_sees(
    http: httpx.AsyncClient,
) -> None:
    a = await api.signup(http)
    stranger = await api.signup(http)  # no friend, no shared channel
    picture = files.png(400, 300)
    image = await uploaded(http, a, picture, "me.png")
    other = await uploaded(http, a, files.png(50, 50), "not-the-avatar.png")
    r = await set_avatar(http, a, avatar_id=image["id"])
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["avatar_id"] == image["id"]
    assert me["avatar_url"] == f"/v1/attachments/{image['id']}/thumbnail"
    seen = (await http.get(f"/v1/users/{a.id}", headers=stranger.auth)).json()
    assert (seen["avatar_id"], seen["avatar_url"]) == (me["avatar_id"], me["avatar_url"])

    thumb = await http.get(seen["avatar_url"], headers=stranger.auth)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    full = await http.get(f"/v1/attachments/{image['id']}", headers=stranger.auth)
    assert full.status_code == 200 and full.content == picture
    # Only the avatar: the uploader's other files stay theirs.
    assert (
        await http.get(f"/v1/attachments/{other['id']}", headers=stranger.auth)
    ).status_code == 404
    assert (await http.get(seen["avatar_url"])).status_code == 401
    # Everyone else's User objects carry the field too, empty.
    assert (await http.get("/v1/me", headers=stranger.auth)).json()["avatar_id"] is None


async def test_only_ones_own_images_become_avatars(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    b = await api.signup(http)
    text = await uploaded(http, a, b"just some words\n", "words.txt")
    svg = await uploaded(http, a, b'<svg xmlns="http://www.w3.org/2000/svg"/>', "x.svg")
    theirs = await uploaded(http, b, files.png(60, 60), "b.png")
    mine = await uploaded(http, a, files.png(60, 60), "a.png")
    assert (await set_avatar(http, a, avatar_id=mine["id"])).status_code == 200
    for avatar_id in (text["id"], svg["id"], theirs["id"], "aNeverUploaded", "a" * 65):
        r = await set_avatar(http, a, avatar_id=avatar_id, display_name="changed")
        assert r.status_code == 400, avatar_id
        assert r.json()["error"]["code"] == "invalid_request"
        assert "avatar_id must be the id of an image" in r.json()["error"]["message"]
    me = (await http.get("/v1/me", headers=a.auth)).json()
    assert me["avatar_id"] == mine["id"] and me["display_name"] != "changed"  # nothing changed


async def test_avatar_url_takes_no_urls(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    image = await uploaded(http, a, files.png(60, 60), "a.png")
    for url in (
        "https://elsewhere.example/me.png",
        "http://127.0.0.1/x.png",
        "//elsewhere.example/me.png",
        "data:image/png;base64,AAAA",
        "/v1/attachments/x/y/thumbnail",
    ):
        r = await set_avatar(http, a, avatar_url=url)
        assert r.status_code == 400, url
        error = r.json()["error"]
        assert error["code"] == "invalid_request"
        assert "avatar_url takes no URLs" in error["message"] and "avatar_id" in error["message"]
    # What this server gave out may be sent back as it was (a client saving the whole
    # User), and "" removes the avatar, as it always did.
    r = await set_avatar(http, a, avatar_url=f"/v1/attachments/{image['id']}/thumbnail")
    assert r.status_code == 200 and r.json()["avatar_id"] == image["id"]
    r = await set_avatar(http, a, avatar_url="")
    assert r.status_code == 200
    assert (r.json()["avatar_id"], r.json()["avatar_url"]) == (None, "")


async def test_a_replaced_avatar_is_private_again(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    viewer = await api.signup(http)
    first = await uploaded(http, a, files.png(60, 60), "1.png")
    second = await uploaded(http, a, files.jpeg(80, 60), "2.jpg")

    async def readable(attachment: dict[str, Any]) -> bool:
        r = await http.get(f"/v1/attachments/{attachment['id']}/thumbnail", headers=viewer.auth)
        assert r.status_code in (200, 404)
        return r.status_code == 200

    assert (await set_avatar(http, a, avatar_id=first["id"])).status_code == 200
    assert await readable(first) and not await readable(second)
    assert (await set_avatar(http, a, avatar_id=second["id"])).status_code == 200
    assert not await readable(first) and await readable(second)
    r = await set_avatar(http, a, avatar_id="")
    assert r.status_code == 200 and r.json()["avatar_id"] is None
    assert not await readable(second)
    # Its uploader still reads it, as any upload of theirs.
    assert (await http.get(f"/v1/attachments/{second['id']}", headers=a.auth)).status_code == 200


async def test_a_deleted_account_shows_no_avatar(http: httpx.AsyncClient) -> None:
    a = await api.signup(http)
    viewer = await api.signup(http)
    image = await uploaded(http, a, files.png(60, 60), "a.png")
    assert (await set_avatar(http, a, avatar_id=image["id"])).status_code == 200
    r = await http.request("DELETE", "/v1/me", json={"password": a.password}, headers=a.auth)
    assert r.status_code == 204
    gone = (await http.get(f"/v1/users/{a.id}", headers=viewer.auth)).json()
    assert (gone["avatar_id"], gone["avatar_url"]) == (None, "")
    assert (
        await http.get(f"/v1/attachments/{image['id']}", headers=viewer.auth)
    ).status_code == 404
