"""Idempotency keys of sends on SQLite: (device, client_msg_id) -> the message stored.

Every stored key is in `sends`, a B-tree ordered by device. Written in the send
transaction, each message's key took a leaf page of its own at window 1 (each message of
a commit is from another device): a log frame a message, copied again by the checkpoint.
So a send does not write its key there. The message row itself carries the key (its
device_id and client_msg_id), and the send's trigger queues the message in
search_pending; the writer's background step writes the keys of the messages it takes
from that queue into `sends`, in key order, in the same transaction that removes them
from the queue (indexer.py). Keys of one device in a step share a page.

So a key is always in `sends` or on a message still queued (nothing may take a message
off the queue without writing its key: `write`).
The writer holds the queued ones in memory (`WriterState.claims`), loaded from the
queue whenever it does not have them: on start (after a crash too), after a failed
transaction, and when the map has grown well past the queue (keys already written are
only dropped then). A send looks in the map, then in `sends`: the same answer, at any
later time, as when every key was written at once."""

from __future__ import annotations

import sqlite3

from chinwag.store.sqlite.db import WriterState

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


def claimed(conn: sqlite3.Connection, state: WriterState, key: Key) -> tuple[str, int] | None:
    """(channel_id, message_id) stored under `key`, or None."""
    found = claims(conn, state).get(key)
    if found is not None:
        return found
    row = conn.execute(
        "SELECT channel_id, message_id FROM sends WHERE device_id = ? AND client_msg_id = ?", key
    ).fetchone()
    return None if row is None else (row[0], row[1])


def write(conn: sqlite3.Connection, upto: int) -> None:
    """Write the keys of the queued messages up to queue id `upto` into `sends`, in key
    order (each page once); the caller removes them from the queue in the same
    transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO sends (device_id, client_msg_id, channel_id, message_id)"
        " SELECT m.device_id, m.client_msg_id, m.channel_id, m.message_id"
        " FROM search_pending p JOIN messages m"
        " ON m.channel_id = p.channel_id AND m.message_id = p.message_id"
        " WHERE p.id <= ? ORDER BY 1, 2",
        (upto,),
    )
