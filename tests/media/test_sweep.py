"""Uploads no message carries are removed after `unsent_upload_ttl`; sent ones stay."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers.api import friends_in_chat
from tests.helpers.server import RunningServer
from tests.helpers.wait import wait_for
from tests.media import files
from tests.media.test_uploads import stored_files, uploaded


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"unsent_upload_ttl": 0.3, "upload_sweep_interval": 0.1}


async def test_unsent_uploads_are_swept_and_sent_ones_stay(
    http: httpx.AsyncClient, server: RunningServer
) -> None:
    a, b, cid = await friends_in_chat(http)
    kept = await uploaded(http, a, files.png(100, 100), "kept.png")
    r = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "k", "attachment_ids": [kept["id"]]},
        headers=a.auth,
    )
    assert r.status_code == 201, r.text
    dropped = await uploaded(http, a, files.png(100, 100), "dropped.png")
    assert len(stored_files(server)) == 4  # two files, two thumbnails

    async def gone() -> bool:
        got = await http.get(f"/v1/attachments/{dropped['id']}", headers=a.auth)
        return got.status_code == 404

    await wait_for(gone, timeout=15)
    await wait_for(lambda: len(stored_files(server)) == 2, timeout=15)
    got = await http.get(f"/v1/attachments/{kept['id']}", headers=b.auth)
    assert got.status_code == 200
    assert (
        await http.get(f"/v1/attachments/{kept['id']}/thumbnail", headers=b.auth)
    ).status_code == 200
    # A sweep that came too late for a send: the send is refused, nothing dangles.
    late = await http.post(
        f"/v1/channels/{cid}/messages",
        json={"client_msg_id": "late", "attachment_ids": [dropped["id"]]},
        headers=a.auth,
    )
    assert late.status_code == 400


async def test_an_avatar_is_kept_by_the_sweep_until_it_is_replaced(
    http: httpx.AsyncClient,
) -> None:
    a, _, _ = await friends_in_chat(http)
    avatar = await uploaded(http, a, files.png(100, 100), "me.png")
    r = await http.patch("/v1/me", json={"avatar_id": avatar["id"]}, headers=a.auth)
    assert r.status_code == 200, r.text
    dropped = await uploaded(http, a, files.png(100, 100), "dropped.png")

    async def gone(attachment: dict[str, Any]) -> bool:
        got = await http.get(f"/v1/attachments/{attachment['id']}", headers=a.auth)
        return got.status_code == 404

    await wait_for(lambda: gone(dropped), timeout=15)  # a sweep has run since
    assert not await gone(avatar)
    r = await http.patch("/v1/me", json={"avatar_id": ""}, headers=a.auth)
    assert r.status_code == 200
    await wait_for(lambda: gone(avatar), timeout=15)
