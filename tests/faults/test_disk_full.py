"""Disk full (ENOSPC) under the SQLite data dir: sends fail with a clear error and no
acknowledgement, the server recovers when space returns, and the database is sound."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import api
from tests.helpers.server import run_server, test_settings
from tests.helpers.wsclient import WsClient

SIZE_MB = 8


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mount)], check=False
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path) -> None:
    """Take every free byte on the file system of `path`."""
    # Unbuffered: a buffered file would try the refused bytes again on close and raise.
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass


async def test_disk_full_then_recovers(small_disk: Path) -> None:
    data = small_disk / "data"
    settings = test_settings(data, sends_per_user_per_sec=1e6, send_burst=10**6)
    acked: dict[str, int] = {}
    async with run_server(settings) as srv, httpx.AsyncClient(base_url=srv.base_url) as http:
        a, b, channel = await api.friends_in_chat(http)
        ws = await WsClient.connect(srv.ws_url)
        await ws.hello(a.token)
        filler = small_disk / "filler"
        _fill(filler)
        text = "x" * 20_000
        refused = []
        for i in range(200):
            ws.send({"type": "send", "channel_id": channel, "client_msg_id": f"m{i}", "text": text})
            frame = await ws.recv(timeout=10)
            while frame["type"] not in ("sent", "error"):
                frame = await ws.recv(timeout=10)
            if frame["type"] == "sent":
                acked[frame["client_msg_id"]] = frame["message_id"]
            else:
                assert frame["code"] == "unavailable" and frame["ref"] == f"m{i}"
                refused.append(f"m{i}")
                if len(refused) >= 3:
                    break
        assert refused, "the disk never filled"
        r = await http.post(
            f"/v1/channels/{channel}/messages",
            json={"client_msg_id": "h", "text": text},
            headers=a.auth,
        )
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
        # Space returns: the same sends go through, with the next ids.
        filler.unlink()
        for cid in refused:
            ws.send({"type": "send", "channel_id": channel, "client_msg_id": cid, "text": text})
            frame = await ws.expect("sent", timeout=10)
            acked[frame["client_msg_id"]] = frame["message_id"]
        api.assert_exact(await api.all_history(http, b, channel), acked)
        assert (await http.get("/readyz")).status_code == 200
        await ws.close()
    conn = sqlite3.connect(data / "chinwag.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
