"""How long the SQLite search indexer holds the writer, step by step, on a real database.

Sends (messages into existing channels, through the send path's trigger) alternate with
background steps run as the writer runs them (store/sqlite/db.py: one transaction each,
`index_chunk`); every step is timed. A send queued behind a step waits for it, so the
worst step is the worst extra wait the indexer adds to a send. Takes --steps steps, and
(idle steps) more until the backlog is gone. Works on the database in place: give it a
copy.

    scripts/index-steps.py --db /tmp/copy/chinwag.db --steps 2000 --sends 64
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time

from chinwag.store.sqlite import indexer
from chinwag.store.sqlite.db import connect


def _segments(conn: sqlite3.Connection) -> int:
    count = getattr(indexer, "segments", None)  # absent before bounded merges
    return int(count(conn)) if count else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--sends", type=int, default=64, help="messages sent between steps")
    parser.add_argument("--busy", action="store_true", help="steps see waiting jobs")
    args = parser.parse_args()
    conn = connect(args.db)
    configure = getattr(indexer, "configure", None)
    if configure:
        configure(conn)
    rng = random.Random(3)
    tops = dict(conn.execute("SELECT channel_id, max(message_id) FROM messages GROUP BY 1"))
    channels = sorted(tops)
    pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
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
        conn.execute("BEGIN IMMEDIATE")
        indexer.index_chunk(conn, args.busy)
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t)
        if len(times) % 100 == 0:
            most = max(most, _segments(conn))
            pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
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
