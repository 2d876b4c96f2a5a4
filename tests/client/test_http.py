"""ApiClient: the HTTP calls, and server errors mapped to ChinwagApiError."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chinwag.client import ApiClient, ChinwagApiError, ServerUnreachable
from tests.helpers.api import unique_name
from tests.helpers.process import free_port
from tests.helpers.server import RunningServer
from tests.media import files

PASSWORD = "correct horse"


async def test_account_friends_and_channels_round_trip(server: RunningServer) -> None:
    async with ApiClient(server.base_url) as alice, ApiClient(server.base_url) as bob:
        a_name, b_name = unique_name("alice"), unique_name("bob")
        await alice.signup(a_name, PASSWORD, display_name="Alice")
        await bob.signup(b_name, PASSWORD)
        login = await alice.login(a_name, PASSWORD, device_name="laptop")
        assert login.user.username == a_name and alice.token == login.token
        assert login.gateways and login.gateways[0].url.endswith("/v1/ws")
        await bob.login(b_name, PASSWORD)

        me = await alice.update_me(status_text="busy")
        assert (me.display_name, me.status_text) == ("Alice", "busy")
        found = await alice.find_user(b_name.upper())
        assert found is not None and found.username == b_name
        assert await alice.find_user("nobody_" + a_name) is None
        assert (await alice.user(found.id)).id == found.id

        request = await alice.request_friend(found.id)
        assert [r.id for r in (await bob.friend_requests()).incoming] == [request.id]
        assert (await bob.accept_friend(request.id)).username == a_name
        assert [f.user.username for f in await alice.friends()] == [b_name]

        direct = await alice.open_direct(found.id)
        assert direct.kind == "direct"
        sent = await alice.send_http(direct.id, "hi", client_msg_id="once")
        again = await alice.send_http(direct.id, "hi", client_msg_id="once")
        assert again.message_id == sent.message_id  # idempotent by client_msg_id
        assert [m.text for m in await bob.history(direct.id)] == ["hi"]
        listed = {c.id: c for c in await bob.channels()}
        assert listed[direct.id].last_message_id == sent.message_id

        group = await alice.create_group("pals", [found.id])
        assert (await bob.channel(group.id)).name == "pals"
        await alice.remove_member(group.id, found.id)
        with pytest.raises(ChinwagApiError) as gone:
            await bob.history(group.id)
        assert gone.value.status in (403, 404)

        presence = await alice.presence([found.id])
        assert [p.user_id for p in presence] == [found.id]
        assert (await alice.discovery())[0].url.startswith("ws://")
        await alice.logout()
        assert alice.token is None


async def test_errors_carry_code_message_and_status(server: RunningServer) -> None:
    async with ApiClient(server.base_url) as client:
        name = unique_name()
        await client.signup(name, PASSWORD)
        with pytest.raises(ChinwagApiError) as taken:
            await client.signup(name, PASSWORD)
        assert (taken.value.code, taken.value.status) == ("conflict", 409)

        with pytest.raises(ChinwagApiError) as wrong:
            await client.login(name, "not the password")
        assert wrong.value.code == "unauthorized"
        assert wrong.value.status == 401
        assert wrong.value.message == "wrong username or password"

        with pytest.raises(ChinwagApiError) as anonymous:
            await client.me()
        assert anonymous.value.code == "unauthorized"

        await client.login(name, PASSWORD)
        with pytest.raises(ChinwagApiError) as missing:
            await client.channel("c_does_not_exist")
        assert (missing.value.code, missing.value.status) == ("not_found", 404)
        with pytest.raises(ChinwagApiError) as bad:
            await client.history("c_does_not_exist", limit=100_000)
        assert (bad.value.code, bad.value.status) == ("invalid_request", 400)


async def test_in_process_transport(server: RunningServer) -> None:
    transport = httpx.ASGITransport(app=server.app.asgi)
    async with ApiClient("http://chinwag.test", transport=transport) as client:
        name = unique_name()
        await client.signup(name, PASSWORD)
        await client.login(name, PASSWORD)
        assert (await client.me()).username == name


async def test_no_server_is_server_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with ApiClient(url) as client:
        with pytest.raises(ServerUnreachable) as caught:
            await client.discovery()
    assert caught.value.url == url


async def test_an_uploaded_image_becomes_the_avatar_others_see(
    server: RunningServer, tmp_path: Path
) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(files.png(120, 90))
    async with ApiClient(server.base_url) as alice, ApiClient(server.base_url) as bob:
        a_name = unique_name("alice")
        await alice.signup(a_name, PASSWORD)
        await alice.login(a_name, PASSWORD)
        b_name = unique_name("bob")
        await bob.signup(b_name, PASSWORD)
        await bob.login(b_name, PASSWORD)
        image = await alice.upload(picture)
        me = await alice.update_me(avatar_id=image.id)
        assert me.avatar_id == image.id and me.avatar_url.endswith("/thumbnail")
        seen = await bob.user(me.id)
        assert seen.avatar_id == image.id
        assert await bob.download(image.id, tmp_path / "theirs.png") == picture.stat().st_size
        assert (tmp_path / "theirs.png").read_bytes() == picture.read_bytes()
        with pytest.raises(ChinwagApiError) as refused:
            await alice.update_me(avatar_url="https://elsewhere.example/me.png")
        assert refused.value.code == "invalid_request"
        assert (await alice.update_me(avatar_id="")).avatar_id is None
