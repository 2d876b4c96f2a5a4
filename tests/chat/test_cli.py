"""`chinwag chat` run as a subprocess against a real server."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from tests.chat.support import PASSWORD, Cli, read_line
from tests.helpers import api
from tests.helpers.api import unique_name
from tests.helpers.server import RunningServer


def clis(server: RunningServer, tmp_path: Path, *names: str) -> list[Cli]:
    return [Cli(server.base_url, tmp_path / name) for name in names]


async def test_login_saves_a_private_session_file(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    (alice,) = clis(server, tmp_path, "alice")
    name = unique_name("alice")
    out = await alice.ok("signup", name, "--password-stdin", stdin=PASSWORD + "\n")
    assert out == f"signed up and logged in as {name}\n"
    path = alice.config_dir / "session.json"
    assert path.stat().st_mode & 0o777 == 0o600
    saved = json.loads(path.read_text())
    assert saved["server"] == server.base_url and saved["username"] == name
    r = await http.get("/v1/me", headers={"Authorization": f"Bearer {saved['token']}"})
    assert r.json()["id"] == saved["user_id"]
    assert (await alice.ok("whoami")).startswith(f"{name} {saved['user_id']} on ")

    out = await alice.ok("login", name, "--password-stdin", stdin=PASSWORD + "\n")
    assert out == f"logged in as {name}\n"
    assert path.stat().st_mode & 0o777 == 0o600
    # Logging in again revoked the token it replaced.
    r = await http.get("/v1/me", headers={"Authorization": f"Bearer {saved['token']}"})
    assert r.status_code == 401

    token = json.loads(path.read_text())["token"]
    assert await alice.ok("logout") == f"logged out {name}\n"
    assert not path.exists()
    r = await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_friendly_errors(server: RunningServer, tmp_path: Path) -> None:
    (alice,) = clis(server, tmp_path, "alice")
    name = unique_name("alice")
    await alice.signup(name)

    wrong = await alice("login", name, "--password-stdin", stdin="not it\n")
    assert (wrong.status, wrong.err) == (1, "chinwag: wrong username or password\n")

    unknown = await alice("add-friend", "nobody_here")
    assert (unknown.status, unknown.err) == (1, "chinwag: no user named 'nobody_here'\n")

    stranger = Cli(server.base_url, tmp_path / "nobody")
    anonymous = await stranger("friends")
    assert anonymous.status == 1
    assert anonymous.err.startswith("chinwag: not logged in to ")

    down = Cli("http://127.0.0.1:9", tmp_path / "down")
    unreachable = await down("login", "x", "--password-stdin", stdin="whatever\n")
    assert unreachable.status == 1
    assert unreachable.err.startswith("chinwag: cannot reach the server at http://127.0.0.1:9")

    usage = await alice("history")
    assert usage.status == 2  # argparse's usage error


async def test_friends_channels_and_messages(server: RunningServer, tmp_path: Path) -> None:
    alice, bob, carol = clis(server, tmp_path, "alice", "bob", "carol")
    a, b, c = unique_name("alice"), unique_name("bob"), unique_name("carol")
    for cli, name in ((alice, a), (bob, b), (carol, c)):
        await cli.signup(name)

    assert await alice.ok("add-friend", b) == f"friend request sent to {b}\n"
    assert await alice.ok("add-friend", c) == f"friend request sent to {c}\n"
    listed = await bob.ok("requests")
    assert listed.startswith(f"from {a}  (request ")
    assert await bob.ok("accept", a) == f"you and {a} are now friends\n"
    request_id = (await carol.ok("requests")).split("(request ")[1].rstrip(")\n")
    assert await carol.ok("decline", request_id) == f"declined {a}\n"
    assert await carol.ok("requests") == "no pending friend requests\n"
    assert (await alice.ok("friends")).startswith(f"{b}  ")

    channel = (await alice.ok("open", b)).strip()
    assert await alice.ok("send", b, "hello", "bob") == "sent #1\n"
    assert await bob.ok("send", channel, "hi alice") == "sent #2\n"
    lines = (await bob.ok("history", a)).splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [f"{a}: hello bob", f"{b}: hi alice"]
    assert len((await alice.ok("history", channel, "--limit", "1")).splitlines()) == 1
    assert f"{channel}  direct  {b}" in await alice.ok("channels")

    refused = await carol("send", a, "let me in")
    assert refused.status == 1
    assert refused.err.startswith("chinwag: ") and "friends" in refused.err

    group = (await alice.ok("group-create", "pals", b)).strip()
    assert await bob.ok("send", "pals", "hi pals") == "sent #1\n"
    assert (await alice.ok("history", group)).rstrip().endswith(f"{b}: hi pals")
    assert f"{group}  group   pals  (2 members)" in await bob.ok("channels")


async def test_follow_prints_live_messages_and_what_it_missed(
    server: RunningServer, tmp_path: Path
) -> None:
    alice, bob = clis(server, tmp_path, "alice", "bob")
    a, b = unique_name("alice"), unique_name("bob")
    await alice.signup(a)
    await bob.signup(b)
    await alice.ok("add-friend", b)
    await bob.ok("accept", a)
    await bob.ok("send", a, "before following")

    follow = await alice.spawn("follow", b)
    try:
        # A first follow shows recent history, then says it is live.
        assert (await read_line(follow.stdout)).endswith(f"{b}: before following")
        assert await read_line(follow.stderr) == f"chinwag: following {b} (Ctrl-C to stop)"
        await bob.ok("send", a, "live one")
        assert (await read_line(follow.stdout)).endswith(f"{b}: live one")
        follow.send_signal(signal.SIGINT)
        assert await follow.wait() == 0
    finally:
        if follow.returncode is None:
            follow.kill()
            await follow.wait()

    await bob.ok("send", a, "missed one")
    await bob.ok("send", a, "missed two")
    follow = await alice.spawn("follow", b)
    try:
        assert await read_line(follow.stderr) == f"chinwag: following {b} (Ctrl-C to stop)"
        assert (await read_line(follow.stdout)).endswith(f"{b}: missed one")
        assert (await read_line(follow.stdout)).endswith(f"{b}: missed two")
        follow.send_signal(signal.SIGTERM)
        assert await follow.wait() == 0
        assert follow.stdout is not None
        assert await follow.stdout.read() == b""  # nothing printed twice
    finally:
        if follow.returncode is None:
            follow.kill()
            await follow.wait()
    assert (alice.config_dir / "cursor.json").exists()


async def test_search(server: RunningServer, http: httpx.AsyncClient, tmp_path: Path) -> None:
    (alice,) = clis(server, tmp_path, "alice")
    a, b = await api.signup(http, password=PASSWORD), await api.signup(http)
    await api.befriend(http, a, b)
    channel = await api.direct(http, a, b)
    r = await http.post(
        f"/v1/channels/{channel}/messages",
        json={"client_msg_id": "s1", "text": "hello 北京 friends"},
        headers=b.auth,
    )
    assert r.status_code == 201
    await alice.ok("login", a.username, "--password-stdin", stdin=PASSWORD + "\n")
    found = (await alice.ok("search", "北京", "hello")).splitlines()
    assert len(found) == 1 and found[0].startswith(channel)
    assert f"{b.username}: hello 北京 friends" in found[0]
    assert await alice.ok("search", "nothing-here", "--in", channel) == "no messages found\n"
