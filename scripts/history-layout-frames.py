"""Log frames a message for two layouts of the history table, with window-1-like commits
(100 conversations, 56 of them in each commit, one message each).

    python3 scripts/history-layout-frames.py [--int-ids]

A: the history as it is, a WITHOUT ROWID table clustered on (channel_id, message_id):
   each conversation's newest row lands mid-tree, and a full leaf is rebalanced with its
   siblings. B: rows appended at the right edge of a rowid table, with an index
   (channel_id, message_id) for reading a conversation. Both on 1,000,000 rows of 20,000
   conversations first. A reader holds the log so it is never restarted; the frame count
   is the log's header. --int-ids uses integer conversation ids instead of 16 characters.
"""

from __future__ import annotations

import os
import random
import sqlite3
import string
import sys
import time
from pathlib import Path

CHANNELS, PREFILL_PER = 20_000, 50
ACTIVE, BATCH, COMMITS = 100, 56, 400
COLUMNS = "channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at"


def schema(conn: sqlite3.Connection, layout: str, kind: str) -> None:
    rest = (
        "sender_id TEXT NOT NULL, device_id TEXT NOT NULL, client_msg_id TEXT NOT NULL,"
        " text TEXT NOT NULL, created_at INTEGER NOT NULL"
    )
    if layout == "A":
        conn.execute(
            f"CREATE TABLE messages (channel_id {kind} NOT NULL, message_id INTEGER NOT NULL,"
            f" {rest}, PRIMARY KEY (channel_id, message_id)) WITHOUT ROWID"
        )
    else:
        conn.execute(
            f"CREATE TABLE messages (seq INTEGER PRIMARY KEY, channel_id {kind} NOT NULL,"
            f" message_id INTEGER NOT NULL, {rest})"
        )
        conn.execute("CREATE UNIQUE INDEX messages_channel ON messages (channel_id, message_id)")


def row(channel: object, mid: int) -> tuple[object, ...]:
    return (channel, mid, "u" * 16, "d" * 16, f"b1234.{mid}", f"{mid:020d}" + "x" * 12, mid)


def run(layout: str, path: Path, int_ids: bool) -> None:
    rnd = random.Random(1)
    chars = string.ascii_lowercase + string.digits
    ids: list[object] = [
        rnd.getrandbits(40) if int_ids else "".join(rnd.choices(chars, k=16))
        for _ in range(CHANNELS)
    ]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    schema(conn, layout, "INTEGER" if int_ids else "TEXT")
    insert = f"INSERT INTO messages ({COLUMNS}) VALUES (?,?,?,?,?,?,?)"
    nxt = dict.fromkeys(ids, 1)
    conn.execute("BEGIN")
    for _ in range(PREFILL_PER):  # conversations interleaved in time, as a server's are
        order = ids[:]
        rnd.shuffle(order)
        conn.executemany(insert, [row(c, nxt[c]) for c in order])
        for c in order:
            nxt[c] += 1
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    active = rnd.sample(ids, ACTIVE)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
    for _ in range(COMMITS):
        chosen = rnd.sample(active, BATCH)
        conn.execute("BEGIN")
        conn.executemany(insert, [row(c, nxt[c]) for c in chosen])
        for c in chosen:
            nxt[c] += 1
        conn.execute("COMMIT")
    frames = int.from_bytes(Path(f"{path}-shm").read_bytes()[16:20], sys.byteorder)
    reader.rollback()
    reader.close()
    began = time.perf_counter()
    for c in active:
        conn.execute(
            "SELECT * FROM messages WHERE channel_id = ? ORDER BY message_id DESC LIMIT 50", (c,)
        ).fetchall()
    read_ms = (time.perf_counter() - began) * 1000 / len(active)
    size = os.path.getsize(path)
    conn.close()
    print(
        f"{layout}: {frames / (COMMITS * BATCH):.2f} frames a message, file {size / 1e6:.0f} MB,"
        f" a conversation's newest 50 in {read_ms:.2f} ms (warm cache)"
    )


if __name__ == "__main__":
    int_ids = "--int-ids" in sys.argv
    for layout in ("A", "B"):
        run(layout, Path(f"/tmp/history-layout-{layout}.db"), int_ids)
