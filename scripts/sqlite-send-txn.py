"""The SQLite send transaction alone, on one thread, with nothing left to timing: the
same work on every run, for counting (instructions under callgrind, syscalls, log
frames) rather than timing.

    .venv/bin/python scripts/sqlite-send-txn.py DB_FILE --senders 100 --commits 30

DB_FILE is migrated and used as it is (copy a prefilled one first). Each sender gets a
direct channel with a peer (random ids, as the server gives them); then each commit
holds one send of every sender, as at window 1, and every 256 sends the background step
runs once (indexing and whatever else it writes), as in an idle moment. Prints one JSON
line: CPU seconds of the process per message, log frames per message. Run it with two
values of --commits under `valgrind --tool=callgrind` and take the difference to count
instructions a message without the setup.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sqlite3
import time
from pathlib import Path

from chinwag.messaging.models import SendRequest, Stored
from chinwag.store.sqlite import messages, walframes
from chinwag.store.sqlite.db import WriterState, connect
from chinwag.store.sqlite.indexer import configure, index_chunk
from chinwag.store.sqlite.migrate import migrate

STEP_EVERY = 256


def _setup(conn: sqlite3.Connection, senders: int) -> list[tuple[str, str, str]]:
    now = int(time.time() * 1000)
    out = []
    conn.execute("BEGIN")
    for _ in range(senders):
        a, b = f"u{secrets.token_hex(8)}", f"u{secrets.token_hex(8)}"
        for u in (a, b):
            conn.execute(
                "INSERT INTO users (id, username, username_key, password_hash, created_at)"
                " VALUES (?, ?, ?, '', ?)",
                (u, u, u, now),
            )
        conn.execute("INSERT INTO friendships VALUES (?, ?, ?), (?, ?, ?)", (a, b, now, b, a, now))
        cid = f"c{secrets.token_hex(8)}"
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
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("--senders", type=int, default=100)
    p.add_argument("--commits", type=int, default=30)
    args = p.parse_args()
    path = Path(args.db)
    conn = connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=0")  # the log is counted, never restarted
    migrate(conn)
    configure(conn)
    who = _setup(conn, args.senders)
    state = WriterState()
    wal = Path(f"{path}-wal")
    text = "x" * 60
    f0 = walframes.frame_count(wal)
    cpu0 = time.process_time()
    since = 0
    for i in range(args.commits):
        conn.execute("BEGIN IMMEDIATE")
        for user, device, cid in who:
            req = SendRequest(user, device, cid, f"t{i}", f"{i:020d} {text}", 1)
            out = messages._append(conn, state, req)
            assert isinstance(out, Stored) and not out.duplicate
        conn.execute("COMMIT")
        since += len(who)
        if since >= STEP_EVERY:
            since = 0
            conn.execute("BEGIN IMMEDIATE")
            index_chunk(conn, False)
            conn.execute("COMMIT")
    total = args.commits * len(who)
    result = {
        "cpu_us_per_msg": round((time.process_time() - cpu0) / total * 1e6, 1),
        "frames_per_msg": round((walframes.frame_count(wal) - f0) / total, 3),
    }
    conn.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
