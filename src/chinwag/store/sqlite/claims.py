"""Idempotency keys of sends on SQLite: (device, client_msg_id) -> the message stored.

Every stored key is in `sends`, a B-tree ordered by device. Written in the send
transaction, each message's key took a leaf page of its own at window 1 (each message of
a commit is from another device): a log frame a message, copied again by the checkpoint.
So a send does not write its key there. The message row itself carries the key (its
device_id and client_msg_id), and the send's trigger queues the message in
search_pending; the writer's background step (`drain`) writes the keys of the messages
it takes from that queue into `sends`, in key order, in the same transaction that
removes them from the queue. Keys of one device in a step share a page.

So a key is always in `sends` or on a message still queued (nothing may take a message
off the queue without writing its key: `write`).
The writer holds the queued ones in memory (`WriterState.claims`), loaded from the
queue whenever it does not have them: on start (after a crash too), after a failed
transaction, and when the map has grown well past the queue (keys already written are
only dropped then). A send looks in the map, then in `sends`: the same answer, at any
later time, as when every key was written at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from chinwag.store.sqlite import bulk, history
from chinwag.store.sqlite.db import WriterState
from chinwag.store.sqlite.indexer import BACKLOG_MAX, CHUNK

# Reload the map from the queue once it holds this many more keys than it was loaded
# with (keys written to `sends` since stay in it until then; the answer is the same).
SLACK = 50_000

Key = tuple[str, str]


def _load(conn: sqlite3.Connection, state: WriterState) -> dict[Key, tuple[str, int]]:
    claims = {
        (r[0], r[1]): (r[2], r[3])
        for r in conn.execute(
            "SELECT m.device_id, m.client_msg_id, m.channel_id, m.message_id"
            " FROM search_pending p JOIN messages m"
            " ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
            " WHERE NOT p.edit"
        )
    }
    state.claims, state.claims_loaded = claims, len(claims)
    return claims


def claims(conn: sqlite3.Connection, state: WriterState) -> dict[Key, tuple[str, int]]:
    """The keys of queued messages (and perhaps some already in `sends`)."""
    found = state.claims
    if found is None or len(found) > state.claims_loaded + SLACK:
        return _load(conn, state)
    return found


_STORED = bulk.Values(
    "SELECT k.column1, k.column2, s.channel_id, s.message_id FROM (VALUES {values}) k"
    " CROSS JOIN sends s ON s.device_id = k.column1 AND s.client_msg_id = k.column2",
    2,
)


def claimed_many(
    conn: sqlite3.Connection, state: WriterState, keys: list[Key]
) -> dict[Key, tuple[str, int]]:
    """The keys among `keys` stored before, (channel_id, message_id) by key: from the
    writer's map, then from `sends`, in a statement or two for them all."""
    known = claims(conn, state)
    found = {key: known[key] for key in keys if key in known}
    rest = [key for key in keys if key not in found] if found else keys
    if rest:
        found.update(((r[0], r[1]), (r[2], r[3])) for r in _STORED(conn, rest))
    return found


def write(conn: sqlite3.Connection, upto: int) -> None:
    """Write the keys of the queued messages up to queue id `upto` into `sends`, in key
    order (each page once); the caller removes them from the queue in the same
    transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO sends (device_id, client_msg_id, channel_id, message_id)"
        f" SELECT {history.either('device_id, client_msg_id, channel_id, message_id')}"
        f" FROM search_pending p{history.joined('p')}"
        f" WHERE p.id <= ? AND NOT p.edit AND {history.FOUND} ORDER BY 1, 2",
        (upto,),
    )


class Drain:
    """The writer's background step: take queue entries the search index has taken (ids
    up to `indexed()`, searchfile.py) off the queue, writing their keys in the same
    transaction. The newest entry always stays queued (its key written): an empty table
    would give the next entry id 1 again, below what the index has taken."""

    def __init__(self, indexed: Callable[[], int], *, limit: int = CHUNK) -> None:
        self.indexed = indexed
        self.limit = limit
        self.written = 0  # keys of entries up to here are in `sends` (an optimization)

    def __call__(self, conn: sqlite3.Connection, busy: bool, quiet: bool) -> bool:
        """Inside the writer's transaction; True if there are more to take. With `busy`
        (jobs wait) only a backlog above BACKLOG_MAX is worked on, back down to it (at
        most 8 x `limit`); idle, up to twice `limit`."""
        row = conn.execute("SELECT min(id), max(id) FROM search_pending").fetchone()
        if row[0] is None:
            return False
        lo, hi = int(row[0]), int(row[1])
        top = min(self.indexed(), hi)
        first = max(lo, self.written + 1)
        if top < first:
            return False
        if busy:
            if top - lo + 1 <= BACKLOG_MAX:
                return False
            upto = lo - 1 + min(top - lo + 1 - BACKLOG_MAX, 8 * self.limit)
        else:
            upto = min(top, first - 1 + 2 * self.limit)
        # Every entry up to `upto` still queued gets its key written, so none leaves the
        # queue without it, whatever `written` says.
        write(conn, upto)
        conn.execute("DELETE FROM search_pending WHERE id <= ? AND id < ?", (upto, hi))
        self.written = upto
        return upto < top
