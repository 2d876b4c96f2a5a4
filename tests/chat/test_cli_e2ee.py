"""`chinwag chat` in an end-to-end encrypted channel: sending, reading, and restoring
history on a new login from the backup with the recovery key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.chat.support import PASSWORD, Cli
from tests.helpers.api import unique_name
from tests.helpers.server import RunningServer


@pytest.fixture
def store_kind() -> str:
    """One engine is enough here: the server side runs on both in tests/e2ee."""
    return "sqlite"


async def test_encrypted_chat_from_the_command_line(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    alice, bob = Cli(server.base_url, tmp_path / "alice"), Cli(server.base_url, tmp_path / "bob")
    a, b = unique_name("alice"), unique_name("bob")
    await alice.signup(a)
    await bob.signup(b)
    await alice.ok("add-friend", b)
    await bob.ok("accept", a)
    cid = (await alice.ok("open", b, "--encrypted")).strip()
    assert await bob.ok("history", cid) == ""  # bob's device publishes its keys
    assert await alice.ok("send", cid, "the", "secret", "plan") == "sent #1\n"
    assert (await bob.ok("history", cid)).endswith(f"{a}: the secret plan\n")
    r = await http.get(f"/v1/channels/{cid}/messages", headers={"Authorization": "x"})
    assert r.status_code == 401

    out = await alice.ok("backup", "--new")
    recovery = out.split("it is shown once): ")[1].split("\n")[0]
    assert out.endswith("1 session keys backed up\n")
    # A new login is a new device: it reads nothing until it restores the backup.
    await alice.ok("login", a, "--password-stdin", stdin=PASSWORD + "\n")
    assert (await alice.ok("history", cid)).endswith(f"{a}: [cannot decrypt yet]\n")
    assert await alice.ok("restore", stdin=recovery + "\n") == "1 session keys restored\n"
    assert (await alice.ok("history", cid)).endswith(f"{a}: the secret plan [from backup]\n")
    bad = await alice("restore", stdin="\n")
    assert bad.status == 1
