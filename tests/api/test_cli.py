"""The chinwag command: migrate on both engines, serve --help, friendly setting errors."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path


async def _chinwag(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chinwag",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_migrate(tmp_path: Path, store_kind: str, store_url: str) -> None:
    args = ["migrate", "--data-dir", str(tmp_path / "d")]
    if store_url:
        args += ["--store", store_url]
    code, out, _ = await _chinwag(*args)
    assert code == 0 and "0001_init.sql" in out
    code, out, _ = await _chinwag(*args)
    assert code == 0 and "up to date" in out
    if store_kind == "sqlite":
        conn = sqlite3.connect(tmp_path / "d" / "chinwag.db")
        tables = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
        conn.close()
        assert {"users", "devices", "channels", "members", "messages", "inbox", "sends"} <= tables


async def test_serve_help_lists_every_option() -> None:
    code, out, _ = await _chinwag("serve", "--help")
    assert code == 0
    for flag in ("--host", "--port", "--data-dir", "--store", "--nats", "--role", "CHINWAG_PORT"):
        assert flag in out


async def test_bad_setting_is_a_friendly_error() -> None:
    code, _, err = await _chinwag("serve", "--role", "janitor")
    assert code != 0 and "bad setting" in err and "Traceback" not in err
