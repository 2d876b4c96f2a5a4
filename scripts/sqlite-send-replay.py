"""Replay sends straight into the SQLite store, with no gateway: the store's own CPU,
log bytes and commits per message, at a given window, on a given database.

    .venv/bin/python scripts/sqlite-send-replay.py DB_FILE --senders 100 --messages 300 --window 1

DB_FILE is used as it is (copy a prefilled one first: the run adds to it). Each sender
gets a fresh direct channel with a peer, then keeps `--window` sends in flight. Prints
one JSON line: msgs/s, CPU us per message (whole process and per thread: the event
loop, the writer, the checkpointer), commits, bytes written (`wchar`) per message, and
the background (search indexing) steps run. REPLAY_NO_INDEXER=1 runs without them.

--random-ids gives users, devices and channels random ids as the server does (else they
share a prefix per run, so the run's rows sit side by side in every B-tree, unlike a
server's). --frames counts the log frames the sends wrote, exactly, and what each
frame's page belongs to: a reader holds the log for the whole run so it is never
restarted (the checkpointer then copies little, so use it for frames, not CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import sys
import time
from pathlib import Path

import uvloop

from chinwag.messaging.models import SendRequest, Stored
from chinwag.store.sqlite import walframes
from chinwag.store.sqlite.db import WAL_LIMIT
from chinwag.store.sqlite.store import SqliteStore


def _thread_cpu(names: dict[int, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        key = names.get(int(tid), "other")
        out[key] = out.get(key, 0.0) + cpu
    return out


def _wchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def _setup(path: Path, senders: int, random_ids: bool) -> list[tuple[str, str, str]]:
    """Users, friendships, devices and direct channels for the senders, directly."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    tag = "" if random_ids else secrets.token_hex(4)
    now = int(time.time() * 1000)
    out = []
    conn.execute("BEGIN")
    for n in range(senders):
        a, b = (
            (f"u{secrets.token_hex(8)}", f"u{secrets.token_hex(8)}")
            if random_ids
            else (f"r{tag}a{n}", f"r{tag}b{n}")
        )
        for u in (a, b):
            conn.execute(
                "INSERT INTO users (id, username, username_key, password_hash, created_at)"
                " VALUES (?, ?, ?, '', ?)",
                (u, u, u, now),
            )
        conn.execute("INSERT INTO friendships VALUES (?, ?, ?), (?, ?, ?)", (a, b, now, b, a, now))
        cid = f"c{secrets.token_hex(8)}" if random_ids else f"c{tag}{n:05d}{secrets.token_hex(6)}"
        conn.execute(
            "INSERT INTO channels (id, kind, direct_key, member_count, created_at)"
            " VALUES (?, 'direct', ?, 2, ?)",
            (cid, f"{a}:{b}", now),
        )
        conn.execute(
            "INSERT INTO members (channel_id, user_id, joined_at) VALUES (?, ?, ?), (?, ?, ?)",
            (cid, a, now, cid, b, now),
        )
        out.append((a, f"d{a}", cid))
    conn.execute("COMMIT")
    conn.close()
    return out


async def _run(args: argparse.Namespace) -> dict[str, object]:
    path = Path(args.db)
    who = _setup(path, args.senders, args.random_ids)
    store = SqliteStore(path, wal_limit=(64 << 30) if args.frames else WAL_LIMIT)
    await store.start()
    if os.environ.get("REPLAY_NO_INDEXER"):
        store.db._background = None
    # Let the indexer drain what setup left, so it does not run during the measurement.
    await asyncio.sleep(0.5)
    messages = store.messages
    text = "x" * 60

    async def sender(n: int, lane: int) -> None:
        user, device, cid = who[n]
        for i in range(lane, args.messages, args.window):
            req = SendRequest(user, device, cid, f"{n}.{i}", f"{i:020d} {text}", 1)
            out = await messages.append(req)
            assert isinstance(out, Stored) and not out.duplicate

    db = store.db
    assert db._thread is not None and db._checkpointer is not None
    names = {os.getpid(): "loop", db._thread.native_id or 0: "writer"}
    names[db._checkpointer.native_id or 0] = "checkpoint"
    b0 = db.background_runs
    held = None
    if args.frames:
        # Holds the log: no restart while the sends are counted.
        held = sqlite3.connect(str(path), isolation_level=None)
        held.execute("BEGIN")
        held.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        f0 = walframes.frame_count(db.wal_path)
    cpu0, w0, c0, j0 = _thread_cpu(names), _wchar(), store.db.commits, store.db.jobs
    t0 = time.monotonic()
    await asyncio.gather(
        *(sender(n, lane) for n in range(args.senders) for lane in range(args.window))
    )
    wall = time.monotonic() - t0
    cpu1, w1 = _thread_cpu(names), _wchar()
    total = args.senders * args.messages
    commits = store.db.commits - c0
    background = db.background_runs - b0
    frames: dict[str, object] = {}
    if held is not None:
        f1 = walframes.frame_count(db.wal_path)
        now = sqlite3.connect(str(path))  # sees the pages the run added
        named = walframes.by_owner(now, db.wal_path, f0, f1)
        now.close()
        held.execute("COMMIT")
        held.close()
        frames = {
            "frames_per_msg": round((f1 - f0) / total, 3),
            "frames_by_owner_per_msg": {
                k: round(v / total, 3) for k, v in sorted(named.items(), key=lambda kv: -kv[1])
            },
        }
    await store.close()
    per = {k: round((cpu1.get(k, 0) - cpu0.get(k, 0)) / total * 1e6, 1) for k in cpu1}
    return {
        **frames,
        "msgs_per_s": round(total / wall),
        "us_per_msg": round(sum(cpu1.values()) - sum(cpu0.values()), 3) / total * 1e6,
        "threads_us_per_msg": per,
        "msgs_per_commit": round((store.db.jobs - j0) / max(commits, 1), 1),
        "wchar_per_msg": round((w1 - w0) / total),
        "background_steps": background,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("--senders", type=int, default=100)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--random-ids", action="store_true")
    p.add_argument("--frames", action="store_true")
    args = p.parse_args()
    uvloop.install()
    result = asyncio.run(_run(args))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
