"""The per-user inbox on SQLite: entries appended to `inbox_recent`, moved into `inbox`.

`inbox` is keyed (user, seq). In a commit at window 1 each entry is for another user, so
each one dirtied a leaf page of its own: a 4 KiB log frame for a row of ~50 bytes,
copied again by the checkpoint. With an entry per member, that was half the log's bytes
and about a fifth of the store's CPU a message. So a send or a change appends its entries
to `inbox_recent`, a rowid table whose last pages a commit's entries share, and the
writer's background step (`move`, recent.py) moves them into `inbox` once RECENT_MOVE have
gathered (or the writer is quiet), in key order, a user's entries together, deleting
them in the same transaction: each entry is in exactly one of the two tables in every
snapshot, and a user's page of `inbox` is written once for a move's entries of that user.
Past RECENT_MAX waiting, entries go straight into `inbox` (a burst of large groups'
messages appends faster than the steps move), and so do the entries of a transaction
after one whose users took two entries or more each (window 16: a commit writes each
user's page of `inbox` once for them all anyway).

Readers take both tables in one statement (`AFTER`, `HEAD`). `inbox_recent` has no index
of its own (that would take the page an entry back), so they scan it: at most
RECENT_MAX rows, about a millisecond. The writer seeds a user's next seq from
`WriterState.recent_heads`, the newest seq of each user in `inbox_recent` (one scan
whenever the state was cleared), and from `inbox`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from chinwag.store.sqlite import bulk, history
from chinwag.store.sqlite.db import WriterState
from chinwag.store.sqlite.recent import MOVE_CHUNK, RECENT_MOVE, Move
from chinwag.store.sqlite.rows import MSG_COLS

# Most entries waiting: past this, entries go straight into `inbox`, as they all did
# before. Steps run every few hundred jobs, so a burst of large groups' messages (an
# entry per member) appends faster than steps move; reads scan no more than this.
RECENT_MAX = 2 * RECENT_MOVE

_SEED = "SELECT coalesce(max(seq), 0) FROM inbox WHERE user_id = ?"
_RANGE = "SELECT min(id), max(id) FROM inbox_recent"
_COLS = "(user_id, seq, channel_id, message_id, event)"
_INBOX = bulk.insert(f"INSERT INTO inbox {_COLS}", 5)
_RECENT = bulk.insert(f"INSERT INTO inbox_recent {_COLS}", 5)


def _heads(conn: sqlite3.Connection, state: WriterState) -> dict[str, int]:
    heads = state.recent_heads
    if heads is None:
        heads = dict(
            conn.execute("SELECT user_id, max(seq) FROM inbox_recent GROUP BY user_id").fetchall()
        )
        state.recent_heads = heads
    return heads


def seed(conn: sqlite3.Connection, state: WriterState, user_id: str) -> int:
    """The user's newest seq, for a writer whose cache has none: it may be in either
    table (`append` may pass `inbox_recent` by)."""
    recent = _heads(conn, state).get(user_id, 0)
    return max(recent, int(conn.execute(_SEED, (user_id,)).fetchone()[0]))


def take_seq(conn: sqlite3.Connection, state: WriterState, user_id: str) -> int:
    """The user's next inbox seq, counted as taken (the caller appends its entry in the
    same transaction; a failed one clears the state)."""
    seq = state.inbox_seq.get(user_id)
    seq = (seed(conn, state, user_id) if seq is None else seq) + 1
    state.inbox_seq[user_id] = seq
    return seq


def append(
    conn: sqlite3.Connection,
    state: WriterState,
    rows: Sequence[tuple[str, int, str, int, str | None]],
) -> None:
    """Entries (user_id, seq, channel_id, message_id, event), with seqs from `take_seq`."""
    direct = state.inbox_crowding.note(state.batch, [row[0] for row in rows], len(rows))
    waiting = state.recent_waiting
    if waiting is None:
        waiting = conn.execute("SELECT count(*) FROM inbox_recent").fetchone()[0]
    if direct or waiting + len(rows) > RECENT_MAX:
        _INBOX(conn, rows)
    else:
        _RECENT(conn, rows)
        waiting += len(rows)
        heads = state.recent_heads  # when loaded, kept up to date
        if heads is not None:
            heads.update((row[0], row[1]) for row in rows)
    state.recent_waiting = waiting


def move(state: WriterState, *, gather: int = RECENT_MOVE, chunk: int = MOVE_CHUNK) -> Move:
    """The background step's part for the inbox: a user's entries move together, and
    the writer's count of entries waiting is taken again after each step."""

    def moved() -> None:
        state.recent_waiting = None  # counted again at the next append

    return Move(
        "inbox_recent",
        "inbox",
        "user_id, seq, channel_id, message_id, event",
        "user_id, seq",
        gather=gather,
        chunk=chunk,
        moved=moved,
    )


# A user's entries after a cursor, oldest first: (seq, event, the message's columns);
# parameters (user_id, cursor, limit).
AFTER = (
    f"SELECT i.seq, i.event, {history.either(MSG_COLS)} FROM ("
    " SELECT * FROM (SELECT seq, event, channel_id, message_id FROM inbox"
    "  WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)"
    " UNION ALL"
    " SELECT * FROM (SELECT seq, event, channel_id, message_id FROM inbox_recent"
    "  WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)"
    f") i{history.joined('i')} WHERE {history.FOUND} ORDER BY i.seq LIMIT ?3"
)
# A user's newest seq; parameter (user_id).
HEAD = (
    "SELECT max(coalesce((SELECT max(seq) FROM inbox WHERE user_id = ?1), 0),"
    " coalesce((SELECT max(seq) FROM inbox_recent WHERE user_id = ?1), 0))"
)
