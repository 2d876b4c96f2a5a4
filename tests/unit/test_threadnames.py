"""Threads carry their names to the kernel, where top -H and /proc show them."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

from chinwag.store.sqlite.db import Database
from chinwag.threadnames import name_os_thread, os_name

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")


def _comms() -> set[str]:
    return {p.read_text().strip() for p in Path("/proc/self/task").glob("*/comm")}


def test_a_thread_is_named_without_the_prefix_in_at_most_15_bytes() -> None:
    seen: list[str] = []

    def run() -> None:
        name_os_thread()
        seen.append(Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text())

    thread = threading.Thread(target=run, name="chinwag-sqlite-checkpoint")
    thread.start()
    thread.join()
    assert seen == ["sqlite-checkpoi\n"]
    assert os_name("chinwag-sqlite-write") == b"sqlite-write"


async def test_the_sqlite_threads_can_be_told_apart(tmp_path: Path) -> None:
    db = Database(tmp_path / "chinwag.db")
    db.start(asyncio.get_running_loop())
    try:
        await db.read(lambda conn: conn.execute("SELECT 1").fetchone())
        assert {"sqlite-write", "sqlite-sync", "sqlite-checkpoi", "sqlite-read_0"} <= _comms()
    finally:
        await db.close()
