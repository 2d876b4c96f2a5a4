"""Channels and members on PostgreSQL.

Every membership change locks the channel row first (the send function does the same),
so a message is fanned out to exactly the members at the time its id was assigned, and a
group switches to fan-out on read between two messages, never during one. Each change
also bumps `members_version`, which lets senders cache member lists of large groups.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.channels import rules
from chinwag.channels.models import Channel, ChannelView, Member, MemberAdded, Role
from chinwag.channels.store import not_addable
from chinwag.errors import conflict, invalid, not_found
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.direct import refresh_direct
from chinwag.store.postgres.tags import affected

_CHAN_COLS = "c.id, c.kind, c.name, c.fanout, c.member_count, c.last_message_id, c.created_at"
_MEMBER_IDS = (
    "ARRAY(SELECT mb.user_id FROM members mb WHERE mb.channel_id = c.id"
    " ORDER BY mb.joined_at, mb.user_id)"
)
_MEMBER_COLS = "channel_id, user_id, role, last_read_message_id, joined_at"


def _channel(row: Any, members: list[str] | None) -> Channel:
    return Channel(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        tuple(members) if members is not None else None,
    )


def _member(row: Any) -> Member:
    return Member(row[0], row[1], row[2], row[3], row[4])


# Those of $2 who accept group adds only from friends and are not friends of $1.
_NOT_CONSENTING = (
    "SELECT u.id FROM users u WHERE u.id = ANY($2::text[]) AND u.group_adds <> 'anyone'"
    " AND NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = u.id)"
    " ORDER BY u.id"
)


async def _get(conn: Any, channel_id: str, with_members: bool) -> Channel | None:
    members = _MEMBER_IDS if with_members else "NULL::text[]"
    row = await conn.fetchrow(
        f"SELECT {_CHAN_COLS}, {members} FROM channels c WHERE c.id = $1", channel_id
    )
    return _channel(row, row[7]) if row else None


async def _get_existing(conn: Any, channel_id: str, with_members: bool) -> Channel:
    channel = await _get(conn, channel_id, with_members)
    assert channel is not None, "read inside the transaction that wrote it"
    return channel


class PostgresChannels:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def direct_channel(
        self, channel_id: str, a: str, b: str, at: int
    ) -> tuple[Channel, bool]:
        key = ":".join(sorted((a, b)))
        async with self._db.transaction() as conn:
            # ON CONFLICT waits for a concurrent creator of the same pair and then yields
            # to it, so both callers end up with the one channel.
            created_id = await conn.fetchval(
                "INSERT INTO channels (id, kind, direct_key, fanout, member_count, created_at)"
                " VALUES ($1, 'direct', $2, 'write', 2, $3)"
                " ON CONFLICT (direct_key) DO NOTHING RETURNING id",
                channel_id,
                key,
                at,
            )
            if created_id is not None:
                try:
                    await conn.execute(
                        "INSERT INTO members (channel_id, user_id, role, joined_at)"
                        " VALUES ($1, $2, 'member', $4), ($1, $3, 'member', $4)",
                        channel_id,
                        a,
                        b,
                        at,
                    )
                except asyncpg.ForeignKeyViolationError:
                    raise not_found("no such user") from None
                # Closed at once if the friendship ended since the caller checked it.
                await refresh_direct(conn, a, b)
                found = channel_id
            else:
                found = await conn.fetchval("SELECT id FROM channels WHERE direct_key = $1", key)
            return await _get_existing(conn, found, True), created_id is not None

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
        roles = ["owner" if u == owner_id else "member" for u in everyone]
        async with self._db.transaction() as conn:
            found = await conn.fetchval(
                "SELECT count(*) FROM users WHERE id = ANY($1::text[])", everyone
            )
            # Counting distinct rows also refuses a list that names someone twice.
            if found != len(everyone):
                raise invalid("member_ids names users that do not exist")
            refused = await conn.fetch(_NOT_CONSENTING, owner_id, everyone[1:])
            if refused:
                raise not_addable([r[0] for r in refused])
            await conn.execute(
                "INSERT INTO channels (id, kind, name, fanout, member_count, created_at)"
                " VALUES ($1, 'group', $2, $3, $4, $5)",
                channel_id,
                name,
                fanout,
                len(everyone),
                at,
            )
            await conn.execute(
                "INSERT INTO members (channel_id, user_id, role, joined_at)"
                " SELECT $1, u, r, $4 FROM unnest($2::text[], $3::text[]) AS t (u, r)",
                channel_id,
                everyone,
                roles,
                at,
            )
            return await _get_existing(conn, channel_id, True)

    async def get_channel(self, channel_id: str, *, with_members: bool = True) -> Channel | None:
        async with self._db.connection() as conn:
            return await _get(conn, channel_id, with_members)

    async def channels_of(self, user_id: str, *, member_list_limit: int) -> list[ChannelView]:
        rows = await self._db.fetch(
            f"SELECT {_CHAN_COLS},"
            f" CASE WHEN c.member_count <= $2 THEN {_MEMBER_IDS} END,"
            " m.last_read_message_id, m.role"
            " FROM members m JOIN channels c ON c.id = m.channel_id"
            " WHERE m.user_id = $1 ORDER BY c.created_at, c.id",
            user_id,
            member_list_limit,
        )
        return [ChannelView(_channel(r, r[7]), r[8], r[9]) for r in rows]

    async def get_member(self, channel_id: str, user_id: str) -> Member | None:
        row = await self._db.fetchrow(
            f"SELECT {_MEMBER_COLS} FROM members WHERE channel_id = $1 AND user_id = $2",
            channel_id,
            user_id,
        )
        return _member(row) if row else None

    async def member_ids(self, channel_id: str) -> list[str]:
        rows = await self._db.fetch(
            "SELECT user_id FROM members WHERE channel_id = $1 ORDER BY joined_at, user_id",
            channel_id,
        )
        return [r[0] for r in rows]

    async def members(self, channel_id: str) -> list[Member]:
        rows = await self._db.fetch(
            f"SELECT {_MEMBER_COLS} FROM members WHERE channel_id = $1 ORDER BY joined_at, user_id",
            channel_id,
        )
        return [_member(r) for r in rows]

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
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "SELECT kind, member_count, fanout FROM channels WHERE id = $1 FOR UPDATE",
                channel_id,
            )
            if row is None:
                raise not_found("no such channel")
            kind, count, before = row
            if kind != "group":
                raise invalid("members can only be added to groups")
            if await conn.fetchval("SELECT 1 FROM users WHERE id = $1", user_id) is None:
                raise not_found("no such user")
            # Membership changes hold the channel row lock, so this check cannot go stale.
            if await conn.fetchval(
                "SELECT 1 FROM members WHERE channel_id = $1 AND user_id = $2", channel_id, user_id
            ):
                raise conflict("already a member")
            if await conn.fetch(_NOT_CONSENTING, added_by, [user_id]):
                raise not_addable([user_id])
            count += 1
            rules.check_room(count, max_size)
            previous: tuple[str, ...] = ()
            if before == "write":
                previous = tuple(
                    r[0]
                    for r in await conn.fetch(
                        "SELECT user_id FROM members WHERE channel_id = $1"
                        " ORDER BY joined_at, user_id",
                        channel_id,
                    )
                )
            await conn.execute(
                "INSERT INTO members (channel_id, user_id, role, joined_at)"
                " VALUES ($1, $2, 'member', $3)",
                channel_id,
                user_id,
                at,
            )
            fanout = rules.fanout_after_add(before, count, small_group_limit)
            await conn.execute(
                "UPDATE channels SET member_count = $2, fanout = $3,"
                " members_version = members_version + 1 WHERE id = $1",
                channel_id,
                count,
                fanout,
            )
            channel = await _get_existing(conn, channel_id, count <= small_group_limit)
            return MemberAdded(channel, before, previous)

    async def remove_member(self, channel_id: str, user_id: str) -> Channel | None:
        async with self._db.transaction() as conn:
            # Lock the channel row before touching members: the same order as a send.
            await conn.execute("SELECT 1 FROM channels WHERE id = $1 FOR UPDATE", channel_id)
            role = await conn.fetchval(
                "DELETE FROM members WHERE channel_id = $1 AND user_id = $2 RETURNING role",
                channel_id,
                user_id,
            )
            if role is None:
                raise not_found("not a member")
            await conn.execute(
                "UPDATE channels SET member_count = member_count - 1,"
                " members_version = members_version + 1 WHERE id = $1",
                channel_id,
            )
            if role == "owner":
                rows = await conn.fetch(
                    "SELECT channel_id, user_id, role, last_read_message_id, joined_at"
                    " FROM members WHERE channel_id = $1",
                    channel_id,
                )
                heir = rules.heir(_member(r) for r in rows)
                if heir is None:
                    return None
                await conn.execute(
                    "UPDATE members SET role = 'owner' WHERE channel_id = $1 AND user_id = $2",
                    channel_id,
                    heir,
                )
            return await _get_existing(conn, channel_id, True)

    async def set_role(self, channel_id: str, user_id: str, role: Role) -> None:
        status = await self._db.execute(
            "UPDATE members SET role = $3 WHERE channel_id = $1 AND user_id = $2",
            channel_id,
            user_id,
            role,
        )
        if affected(status) == 0:
            raise not_found("not a member")

    async def mark_read(self, channel_id: str, user_id: str, message_id: int) -> bool:
        # One statement: the marker only rises, and only to a message that exists (ids
        # are gapless, so up to the channel's newest; no time bucket to search).
        status = await self._db.execute(
            "UPDATE members SET last_read_message_id = greatest(last_read_message_id, $3)"
            " WHERE channel_id = $1 AND user_id = $2 AND $3 >= 1 AND EXISTS"
            " (SELECT 1 FROM channels WHERE id = $1 AND last_message_id >= $3)",
            channel_id,
            user_id,
            message_id,
        )
        return affected(status) > 0

    async def large_groups_of(self, user_id: str) -> list[tuple[str, int]]:
        rows = await self._db.fetch(
            "SELECT c.id, c.last_message_id FROM members m JOIN channels c ON c.id = m.channel_id"
            " WHERE m.user_id = $1 AND c.fanout = 'read' ORDER BY c.id",
            user_id,
        )
        return [(r[0], r[1]) for r in rows]

    async def shares_channel(self, a: str, b: str) -> bool:
        row = await self._db.fetchrow(
            "SELECT 1 FROM members m1 JOIN members m2 ON m2.channel_id = m1.channel_id"
            " AND m2.user_id = $2 WHERE m1.user_id = $1 LIMIT 1",
            a,
            b,
        )
        return row is not None
