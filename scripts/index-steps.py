"""How long a step of the SQLite search indexer takes, step by step, on a real database.

Sends (messages into existing channels, through the send path's trigger) alternate with
indexing steps run as the indexer's thread runs them (store/sqlite/indexthread.py,
`index_chunk` on the index's own file, the store attached); every step is timed. Until
the index had a file and a thread of its own, a send queued behind a step waited for it.
Takes --steps steps, and (idle steps) more until the backlog is gone. Works on the
database in place (the store's file; the index beside it): give it a copy.

    scripts/index-steps.py --db /tmp/copy/chinwag.db --steps 2000 --sends 64
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from pathlib import Path

from chinwag.store.sqlite import indexer, searchfile


def _segments(conn: sqlite3.Connection) -> int:
    return indexer.segments(conn)


def _backlog(conn: sqlite3.Connection) -> int:
    """Queue entries the index has not taken yet."""
    n: int = conn.execute(
        "SELECT count(*) FROM search_pending WHERE id > ?", (searchfile.indexed_upto(conn),)
    ).fetchone()[0]
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--sends", type=int, default=64, help="messages sent between steps")
    parser.add_argument("--busy", action="store_true", help="steps see waiting jobs")
    args = parser.parse_args()
    conn = searchfile.open_index(Path(args.db))
    searchfile.prepare(conn)
    indexer.configure(conn)
    rng = random.Random(3)
    tops = dict(conn.execute("SELECT channel_id, max(message_id) FROM messages GROUP BY 1"))
    channels = sorted(tops)
    pending = _backlog(conn)
    times: list[float] = []
    most = 0
    started = time.monotonic()
    # Busy steps leave a bounded backlog: they stop at --steps.
    while len(times) < args.steps or (pending and not args.busy):
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(args.sends):
            channel = rng.choice(channels)
            mid = tops[channel] = tops[channel] + 1
            conn.execute(
                "INSERT INTO messages (channel_id, message_id, sender_id, device_id,"
                " client_msg_id, text, created_at) SELECT channel_id, ?, sender_id,"
                " device_id, ?, text, created_at FROM messages"
                " WHERE channel_id = ? AND message_id = ?",
                (mid, f"steps-{mid}", channel, rng.randint(1, mid - 1)),
            )
        conn.execute("COMMIT")
        t = time.perf_counter()
        indexer.index_chunk(conn, args.busy)
        times.append(time.perf_counter() - t)
        if len(times) % 100 == 0:
            most = max(most, _segments(conn))
            pending = _backlog(conn)
    times.sort()
    ms = [round(1000 * times[int(q * (len(times) - 1))], 1) for q in (0.5, 0.99, 1.0)]
    print(
        json.dumps(
            {
                "steps": len(times),
                "seconds": round(time.monotonic() - started, 1),
                "step_ms_p50_p99_max": ms,
                "segments_most": most,
                "segments_end": _segments(conn),
            }
        )
    )
    conn.close()


if __name__ == "__main__":
    main()
