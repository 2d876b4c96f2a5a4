"""What each storage read of a WebSocket `hello` costs on SQLite, per call: the socket's
blocks (`blocks_around`, read since typing and presence are filtered by block at the
gateway) beside the reads hello made before (`large_groups_of`, `inbox_head`).

    .venv/bin/python scripts/hello_reads_cost.py

A temporary database of 1,000 users, one in ten blocking another; each read is called
5,000 times after a warm-up. CPU is the whole process's (the event loop and the reader
threads), so it counts the thread hop each read takes.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chinwag.accounts.models import NewUser
from chinwag.store.sqlite.store import SqliteStore, migrate_file

USERS = 1_000
CALLS = 5_000


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chinwag.db"
        migrate_file(path)
        store = SqliteStore(path)
        await store.start()
        ids = [f"u{i:05d}" for i in range(USERS)]
        for i, uid in enumerate(ids):
            await store.accounts.create_user(NewUser(uid, f"name{i}", "x", f"name{i}", 1))
        for i in range(0, USERS, 10):
            await store.safety.block(ids[i], ids[i + 1], 1)
        reads: dict[str, Callable[[str], Awaitable[Any]]] = {
            "blocks_around": store.safety.blocks_around,
            "large_groups_of": store.channels.large_groups_of,
            "inbox_head": store.messages.inbox_head,
        }
        for name, read in reads.items():
            for uid in ids[:200]:
                await read(uid)
            wall, cpu = time.perf_counter(), time.process_time()
            for k in range(CALLS):
                await read(ids[k % USERS])
            cpu_us = (time.process_time() - cpu) / CALLS * 1e6
            wall_us = (time.perf_counter() - wall) / CALLS * 1e6
            print(f"{name}: {cpu_us:.0f} us CPU, {wall_us:.0f} us wall per call")
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
