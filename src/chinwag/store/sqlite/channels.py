"""Channels and members on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from chinwag.channels import rules
from chinwag.channels.models import Channel, ChannelView, Member, MemberAdded, Role
from chinwag.channels.store import not_addable
from chinwag.errors import conflict, invalid, not_found
from chinwag.store.sqlite import history
from chinwag.store.sqlite.db import Database, WriterState
from chinwag.store.sqlite.direct import refresh_direct

# last_message_id is derived from the history's keys rather than updated per message:
# one fewer page written per send.
_LAST = f"({history.newest('c.id')})"
_CHAN_COLS = f"c.id, c.kind, c.name, c.fanout, c.member_count, {_LAST}, c.created_at, c.encrypted"
# A send moves its sender's stored read marker only when it lies more than this many ids
# behind (the trigger of migrations/0012 and 0015, which holds the same number): the member's
# newest own message is never further past the stored marker than this.
READ_SLACK = 32


def read_mark(mb: str) -> str:
    """The read marker clients see, of the members row `mb`: the stored one, or the
    member's newest own message of this membership when that is newer. One short range
    of the history: the own message is within READ_SLACK ids of the stored marker."""
    # Each table of the history on its own (history.py): a correlated subquery is not
    # pushed into the view's tables, which it would read whole.
    own = (
        f"coalesce((SELECT max(x.message_id) FROM {table} x"
        f" WHERE x.channel_id = {mb}.channel_id"
        f" AND x.message_id > max({mb}.last_read_message_id, {mb}.joined_after_id)"
        f" AND x.message_id <= {mb}.last_read_message_id + {READ_SLACK}"
        f" AND x.sender_id = {mb}.user_id), 0)"
        for table in history.TABLES
    )
    return f"max({mb}.last_read_message_id, {', '.join(own)})"


_MEMBER_COLS = f"mb.channel_id, mb.user_id, mb.role, {read_mark('mb')}, mb.joined_at"


def _channel(row: Any, members: tuple[str, ...] | None = None) -> Channel:
    return Channel(row[0], row[1], row[2], row[3], row[4], row[5], row[6], members, bool(row[7]))


def _member_ids(conn: sqlite3.Connection, channel_id: str) -> tuple[str, ...]:
    rows = conn.execute(
        "SELECT user_id FROM members WHERE channel_id = ? ORDER BY joined_at, user_id",
        (channel_id,),
    ).fetchall()
    return tuple(r[0] for r in rows)


def _not_consenting(conn: sqlite3.Connection, adder: str, user_ids: list[str]) -> list[str]:
    """Those of `user_ids` who accept group adds only from friends and are not the
    adder's friends."""
    out: list[str] = []
    for i in range(0, len(user_ids), 500):
        chunk = user_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT u.id FROM users u WHERE u.id IN ({marks}) AND u.group_adds <> 'anyone'"
            " AND NOT EXISTS (SELECT 1 FROM friendships f"
            " WHERE f.user_id = ? AND f.friend_id = u.id)",
            (*chunk, adder),
        ).fetchall()
        out.extend(r[0] for r in rows)
    return out


def _get(conn: sqlite3.Connection, channel_id: str, with_members: bool) -> Channel | None:
    row = conn.execute(
        f"SELECT {_CHAN_COLS} FROM channels c WHERE c.id = ?", (channel_id,)
    ).fetchone()
    if row is None:
        return None
    return _channel(row, _member_ids(conn, channel_id) if with_members else None)


class SqliteChannels:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def direct_channel(
        self, channel_id: str, a: str, b: str, at: int
    ) -> tuple[Channel, bool]:
        key = ":".join(sorted((a, b)))

        def job(conn: sqlite3.Connection, state: WriterState) -> tuple[Channel, bool]:
            row = conn.execute("SELECT id FROM channels WHERE direct_key = ?", (key,)).fetchone()
            created = row is None
            if created:
                conn.execute(
                    "INSERT INTO channels (id, kind, direct_key, fanout, member_count, created_at)"
                    " VALUES (?, 'direct', ?, 'write', 2, ?)",
                    (channel_id, key, at),
                )
                conn.executemany(
                    "INSERT INTO members (channel_id, user_id, role, joined_at)"
                    " VALUES (?, ?, ?, ?)",
                    [(channel_id, a, "member", at), (channel_id, b, "member", at)],
                )
                # Closed at once if the friendship ended since the caller checked it.
                refresh_direct(conn, state, a, b)
                found = channel_id
            else:
                found = row[0]
            channel = _get(conn, found, True)
            assert channel is not None
            return channel, created

        result: tuple[Channel, bool] = await self._db.write(job)
        return result

    async def create_group(
        self,
        channel_id: str,
        name: str,
        owner_id: str,
        member_ids: list[str],
        at: int,
        small_group_limit: int,
    ) -> Channel:
        everyone = [owner_id, *[m for m in member_ids if m != owner_id]]
        fanout = rules.fanout_for(len(everyone), small_group_limit)

        def job(conn: sqlite3.Connection, state: WriterState) -> Channel:
            found = 0
            for i in range(0, len(everyone), 500):
                chunk = everyone[i : i + 500]
                marks = ",".join("?" * len(chunk))
                found += conn.execute(
                    f"SELECT count(*) FROM users WHERE id IN ({marks})", chunk
                ).fetchone()[0]
            if found != len(everyone):
                raise invalid("member_ids names users that do not exist")
            refused = _not_consenting(conn, owner_id, everyone[1:])
            if refused:
                raise not_addable(refused)
            conn.execute(
                "INSERT INTO channels (id, kind, name, fanout, member_count, created_at)"
                " VALUES (?, 'group', ?, ?, ?, ?)",
                (channel_id, name, fanout, len(everyone), at),
            )
            conn.executemany(
                "INSERT INTO members (channel_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
                [(channel_id, u, "owner" if u == owner_id else "member", at) for u in everyone],
            )
            channel = _get(conn, channel_id, True)
            assert channel is not None
            return channel

        result: Channel = await self._db.write(job)
        return result

    async def get_channel(self, channel_id: str, *, with_members: bool = True) -> Channel | None:
        return await self._db.read(lambda conn: _get(conn, channel_id, with_members))

    async def channels_of(self, user_id: str, *, member_list_limit: int) -> list[ChannelView]:
        def q(conn: sqlite3.Connection) -> list[ChannelView]:
            rows = conn.execute(
                f"SELECT {_CHAN_COLS}, {read_mark('m')}, m.role FROM members m"
                " JOIN channels c ON c.id = m.channel_id WHERE m.user_id = ?"
                " ORDER BY c.created_at, c.id",
                (user_id,),
            ).fetchall()
            out = []
            for row in rows:
                members = _member_ids(conn, row[0]) if row[4] <= member_list_limit else None
                out.append(ChannelView(_channel(row, members), row[8], row[9]))
            return out

        return await self._db.read(q)

    async def get_member(self, channel_id: str, user_id: str) -> Member | None:
        def q(conn: sqlite3.Connection) -> Member | None:
            row = conn.execute(
                f"SELECT {_MEMBER_COLS} FROM members mb WHERE mb.channel_id = ? AND mb.user_id = ?",
                (channel_id, user_id),
            ).fetchone()
            return Member(*row) if row else None

        return await self._db.read(q)

    async def member_ids(self, channel_id: str) -> list[str]:
        return list(await self._db.read(lambda conn: _member_ids(conn, channel_id)))

    async def members(self, channel_id: str) -> list[Member]:
        def q(conn: sqlite3.Connection) -> list[Member]:
            rows = conn.execute(
                f"SELECT {_MEMBER_COLS} FROM members mb WHERE mb.channel_id = ?"
                " ORDER BY mb.joined_at, mb.user_id",
                (channel_id,),
            ).fetchall()
            return [Member(*r) for r in rows]

        return await self._db.read(q)

    async def add_member(
        self,
        channel_id: str,
        user_id: str,
        at: int,
        small_group_limit: int,
        max_size: int,
        *,
        added_by: str,
    ) -> MemberAdded:
        def job(conn: sqlite3.Connection, state: WriterState) -> MemberAdded:
            row = conn.execute(
                "SELECT kind, member_count, fanout FROM channels WHERE id = ?", (channel_id,)
            ).fetchone()
            if row is None:
                raise not_found("no such channel")
            if row[0] != "group":
                raise invalid("members can only be added to groups")
            if not conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone():
                raise not_found("no such user")
            if conn.execute(
                "SELECT 1 FROM members WHERE channel_id = ? AND user_id = ?", (channel_id, user_id)
            ).fetchone():
                raise conflict("already a member")
            if _not_consenting(conn, added_by, [user_id]):
                raise not_addable([user_id])
            count = row[1] + 1
            rules.check_room(count, max_size)
            before = row[2]
            previous = _member_ids(conn, channel_id) if before == "write" else ()
            fanout = rules.fanout_after_add(before, count, small_group_limit)
            # What the channel held before: none of it is this member's own (read_mark).
            conn.execute(
                "INSERT INTO members (channel_id, user_id, role, joined_at, joined_after_id)"
                " VALUES (?, ?, 'member', ?,"
                f" {history.newest('?4')})",
                (channel_id, user_id, at, channel_id),
            )
            conn.execute(
                "UPDATE channels SET member_count = ?, fanout = ? WHERE id = ?",
                (count, fanout, channel_id),
            )
            state.members.pop(channel_id, None)
            channel = _get(conn, channel_id, count <= small_group_limit)
            assert channel is not None
            return MemberAdded(channel, before, previous)

        result: MemberAdded = await self._db.write(job)
        return result

    async def remove_member(self, channel_id: str, user_id: str) -> Channel | None:
        def job(conn: sqlite3.Connection, state: WriterState) -> Channel | None:
            gone = conn.execute(
                "DELETE FROM members WHERE channel_id = ? AND user_id = ? RETURNING role",
                (channel_id, user_id),
            ).fetchone()
            if gone is None:
                raise not_found("not a member")
            conn.execute(
                "UPDATE channels SET member_count = member_count - 1 WHERE id = ?", (channel_id,)
            )
            state.members.pop(channel_id, None)
            if gone[0] == "owner":
                rows = conn.execute(
                    f"SELECT {_MEMBER_COLS} FROM members mb WHERE mb.channel_id = ?",
                    (channel_id,),
                ).fetchall()
                heir = rules.heir(Member(*r) for r in rows)
                if heir is None:
                    return None
                conn.execute(
                    "UPDATE members SET role = 'owner' WHERE channel_id = ? AND user_id = ?",
                    (channel_id, heir),
                )
            return _get(conn, channel_id, True)

        result: Channel | None = await self._db.write(job)
        return result

    async def set_role(self, channel_id: str, user_id: str, role: Role) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            cur = conn.execute(
                "UPDATE members SET role = ? WHERE channel_id = ? AND user_id = ?",
                (role, channel_id, user_id),
            )
            if cur.rowcount == 0:
                raise not_found("not a member")

        await self._db.write(job)

    async def mark_read(self, channel_id: str, user_id: str, message_id: int) -> bool:
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            exists = conn.execute(
                "SELECT 1 FROM messages WHERE channel_id = ? AND message_id = ?",
                (channel_id, message_id),
            ).fetchone()
            if not exists:
                return False
            cur = conn.execute(
                "UPDATE members SET last_read_message_id = max(last_read_message_id, ?)"
                " WHERE channel_id = ? AND user_id = ?",
                (message_id, channel_id, user_id),
            )
            return cur.rowcount > 0

        result: bool = await self._db.write(job)
        return result

    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]:
        def q(conn: sqlite3.Connection) -> list[tuple[str, int]]:
            rows = conn.execute(
                f"SELECT c.id, {_LAST} FROM members mm JOIN channels c ON c.id = mm.channel_id"
                " WHERE mm.user_id = ? AND c.fanout = 'read'",
                (user_id,),
            ).fetchall()
            return [(r[0], r[1]) for r in rows]

        return await self._db.read(q)

    async def shares_channel(self, a: str, b: str) -> bool:
        def q(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM members m1 JOIN members m2 ON m2.channel_id = m1.channel_id"
                " AND m2.user_id = ? WHERE m1.user_id = ? LIMIT 1",
                (b, a),
            ).fetchone()
            return row is not None

        return await self._db.read(q)

    async def set_encrypted(self, channel_id: str) -> None:
        def job(conn: sqlite3.Connection, state: WriterState) -> None:
            conn.execute("UPDATE channels SET encrypted = 1 WHERE id = ?", (channel_id,))
            state.members.pop(channel_id, None)  # sends check the flag there

        await self._db.write(job)
