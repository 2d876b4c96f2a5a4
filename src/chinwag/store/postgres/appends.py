"""Sends on PostgreSQL, written in batches: one round trip and one transaction for all the
sends that arrived while the previous batch was being written.

Guarantees (with `chinwag_append_batch`, migrations/*_append_batch.sql):
* A send's future resolves only after the COMMIT of the transaction that stored it.
* Per-channel ids are gapless and follow arrival order within a channel (a batch never
  takes a send of a channel that a batch still being written holds: two transactions
  would otherwise race for the channel's lock and the later arrival could win it);
  idempotency on
  (device, client_msg_id) holds within a batch (a repeat rides on the first) and across
  batches and processes (the function checks after locking the channel).
* A send whose body does not match its channel's end-to-end encryption is refused by
  `chinwag_append_checked` (migrations/*_append_encrypted.sql), which reads the flag
  with the channel locked: the batch is written again without it.
* A batch fails only the sends it must: refusals are per send; a lost lock race (a
  deadlock, a key reused in two channels at once) retries the whole batch; a statement
  error caused by one send's data is found by splitting the batch in halves, so only
  that send fails; an outage fails every send of the batch with `unavailable` (the
  client resends, idempotency makes that safe).
* Bounded: a batch holds at most `max_batch` sends and about `max_batch_chars` of text;
  at most `max_in_flight` batches are written at once per process, and sends wait in
  arrival order meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from chinwag.errors import ChinwagError, unavailable
from chinwag.messaging.models import Message, SendRefusal, SendRequest, Stored
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.member_cache import NO_VERSION, MemberCache

log = logging.getLogger("chinwag.store.postgres")

_APPEND = (
    "SELECT o_outcome, o_channel_id, o_message_id, o_sender_id, o_text, o_created_at,"
    " o_client_msg_id, o_fanout, o_members_version, o_member_ids, o_entry_sends,"
    " o_entry_users, o_entry_seqs"
    " FROM chinwag_append_checked($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
# Raised by chinwag_append_checked (0016_append_encrypted.sql) when sends do not match
# their channels' end-to-end encryption; DETAIL lists them.
_MISMATCH = "CW415"
# Lost lock races (deadlocks, which consistent lock order should rule out, or a key
# reused in two channels at the same moment) retry the whole batch.
_ATTEMPTS = 5

Outcome = Stored | SendRefusal
Members = tuple[int, tuple[str, ...]]  # (members_version, member ids)


@dataclass(slots=True)
class _Send:
    request: SendRequest
    future: asyncio.Future[Outcome]
    # Later sends of the same (device, client_msg_id) in the same batch: answered as
    # repeats of this one.
    repeats: list[asyncio.Future[Outcome]] = field(default_factory=list)


class _DataProblem(Exception):
    """A send's data that the database (or the driver) refuses, not an outage."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class BatchAppender:
    def __init__(
        self,
        db: Database,
        member_cache: MemberCache | None = None,
        *,
        max_batch: int = 512,
        max_batch_chars: int = 4_000_000,
        max_in_flight: int = 2,
    ) -> None:
        self._db = db
        self._members = member_cache or MemberCache()
        self._max_batch = max_batch
        self._max_chars = max_batch_chars
        self._max_in_flight = max_in_flight
        self._waiting: deque[_Send] = deque()
        self._writers: set[asyncio.Task[None]] = set()
        # Writers still taking batches; one stops (and says so here) the moment it finds
        # nothing waiting, so a send queued after that always gets a writer.
        self._writing = 0
        self._closed = False
        # Channels with a send in a batch being written (and how many such batches).
        self._busy: dict[str, int] = {}
        # For tests and metrics: batches written, sends in them, batches written again.
        self.batches = 0
        self.sends = 0
        self.retries = 0

    def append(self, request: SendRequest) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        if self._closed:
            future.set_exception(unavailable("storage is closing"))
            return future
        self._waiting.append(_Send(request, future))
        if self._writing < self._max_in_flight:
            self._writing += 1
            task = asyncio.create_task(self._write_while_waiting())
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)
        return future

    async def close(self) -> None:
        """Finish the batches being written; refuse new sends and the ones still waiting."""
        self._closed = True
        if self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)
        while self._waiting:
            _fail([self._waiting.popleft()], unavailable("storage is closing"))

    async def _write_while_waiting(self) -> None:
        try:
            while self._waiting and not self._closed:
                batch = self._take()
                if not batch:
                    # Everything waiting belongs to channels another writer holds; that
                    # writer takes it once its batch is written.
                    break
                channels = {send.request.channel_id for send in batch}
                for cid in channels:
                    self._busy[cid] = self._busy.get(cid, 0) + 1
                try:
                    await self._write(batch)
                except Exception as exc:  # never leave a send unanswered
                    log.exception("writing a batch of sends failed")
                    _fail(batch, exc)
                except BaseException:  # cancelled: nothing is known about the commit
                    _fail(batch, unavailable("the message could not be stored, retry"))
                    raise
                finally:
                    for cid in channels:
                        if self._busy[cid] == 1:
                            del self._busy[cid]
                        else:
                            self._busy[cid] -= 1
        finally:
            self._writing -= 1

    def _take(self) -> list[_Send]:
        batch: list[_Send] = []
        first: dict[tuple[str, str], _Send] = {}
        chars = 0
        # Sends of channels a batch being written holds stay, in their order.
        held: deque[_Send] = deque()
        busy = self._busy
        while self._waiting and len(batch) < self._max_batch:
            send = self._waiting[0]
            if busy and send.request.channel_id in busy:
                held.append(self._waiting.popleft())
                continue
            key = (send.request.device_id, send.request.client_msg_id)
            original = first.get(key)
            if original is not None:
                original.repeats.append(self._waiting.popleft().future)
                continue
            chars += len(send.request.text)
            if batch and chars > self._max_chars:
                break
            batch.append(self._waiting.popleft())
            first[key] = send
        if held:
            held.extend(self._waiting)
            self._waiting = held
        return batch

    async def _write(self, batch: list[_Send]) -> None:
        for _ in range(_ATTEMPTS):
            # The member lists this batch is written against: what the database confirms
            # (by sending no list) is exactly these, whatever the cache holds by then.
            held: dict[str, Members | None] = {}
            for send in batch:
                cid = send.request.channel_id
                if cid not in held:
                    held[cid] = self._members.get(cid)
            try:
                rows = await self._call(batch, held)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name != "sends_pkey":
                    await self._split(batch, exc)
                    return
                self.retries += 1
                continue
            except asyncpg.exceptions.TransactionRollbackError:
                self.retries += 1
                continue
            except _DataProblem as problem:
                await self._split(batch, problem.cause)
                return
            except asyncpg.PostgresError as exc:
                refused = _mismatched(exc) if exc.sqlstate == _MISMATCH else None
                if refused:
                    await self._refuse(batch, refused)
                    return
                await self._split(batch, exc)
                return
            except ChinwagError as exc:  # an outage: the commit's fate is unknown
                _fail(batch, exc)
                return
            self.batches += 1
            self.sends += len(batch)
            fanned = _entries(rows[0])
            for n, (send, row) in enumerate(zip(batch, rows, strict=True), 1):
                _resolve(send, self._outcome(send.request, row, held, fanned.get(n)))
            return
        _fail(batch, unavailable("the message could not be stored, retry"))

    async def _refuse(self, batch: list[_Send], refused: dict[int, SendRefusal]) -> None:
        """Answer the sends the database refused (by position, from 1); write the others
        again (nothing of the batch was written)."""
        rest = []
        for n, send in enumerate(batch, 1):
            refusal = refused.get(n)
            if refusal is None:
                rest.append(send)
            else:
                _resolve(send, refusal)
        if rest:
            await self._write(rest)

    async def _split(self, batch: list[_Send], exc: BaseException) -> None:
        """One send's data broke the statement: halve until it stands alone."""
        if len(batch) == 1:
            log.warning("a send was refused by the database: %s: %s", type(exc).__name__, exc)
            _fail(batch, exc)
            return
        half = len(batch) // 2
        await self._write(batch[:half])
        await self._write(batch[half:])

    async def _call(self, batch: Sequence[_Send], held: dict[str, Members | None]) -> list[Any]:
        reqs = [s.request for s in batch]
        # Channel rows are locked in this order by every caller: sorted by code point.
        channels = sorted({r.channel_id for r in reqs})
        position = {cid: n for n, cid in enumerate(channels, 1)}
        extras = [r for r in reqs if r.reply_to is not None or r.mentions]
        linked = any(r.attachment_ids for r in reqs)
        async with self._db.connection() as conn:
            try:
                if extras or linked:
                    # Replies, mentions and attachment links ride in the same transaction
                    # as the batch.
                    async with conn.transaction():
                        rows = await self._fetch(conn, channels, position, reqs, held)
                        if extras:
                            await _store_extras(conn, reqs, rows)
                        if linked:
                            await _link_attachments(conn, reqs, rows)
                    return rows
                rows = await self._fetch(conn, channels, position, reqs, held)
            except asyncpg.DataError as exc:
                # Refused by the driver before it reached the server (text it cannot
                # encode): the connection is fine, the data is not.
                raise _DataProblem(exc) from exc
        return rows

    async def _fetch(
        self,
        conn: Any,
        channels: list[str],
        position: dict[str, int],
        reqs: list[SendRequest],
        held: dict[str, Members | None],
    ) -> list[Any]:
        rows: list[Any] = await conn.fetch(
            _APPEND,
            channels,
            [position[r.channel_id] for r in reqs],
            [r.channel_id for r in reqs],
            [r.sender_id for r in reqs],
            [r.device_id for r in reqs],
            [r.client_msg_id for r in reqs],
            [r.text for r in reqs],
            [r.created_at for r in reqs],
            [_version(held[r.channel_id]) for r in reqs],
            [r.encrypted for r in reqs],
        )
        return rows

    def _outcome(
        self,
        request: SendRequest,
        row: Any,
        held: dict[str, Members | None],
        fanned: tuple[list[str], list[int]] | None,
    ) -> Outcome:
        outcome = row[0]
        if outcome == "no_channel":
            return SendRefusal.NO_CHANNEL
        if outcome == "not_member":
            return SendRefusal.NOT_MEMBER
        if outcome == "closed":
            return SendRefusal.CLOSED
        if outcome == "duplicate":
            original = Message(row[1], row[2], row[3], row[4], row[5], row[6])
            return Stored(original, {}, (), duplicate=True)
        message = Message(
            request.channel_id,
            row[2],
            request.sender_id,
            request.text,
            request.created_at,
            request.client_msg_id,
            request.reply_to,
            request.mentions,
        )
        fanout, version, ids = row[7], row[8], row[9]
        if fanout == "write":
            assert fanned is not None  # every member, the sender at least
            users, seqs = fanned
            return Stored(message, dict(zip(users, seqs, strict=True)), tuple(users))
        if ids is not None:
            members = tuple(ids)
            self._members.put(request.channel_id, version, members)
            held[request.channel_id] = (version, members)  # for its later rows
            return Stored(message, {}, members)
        # The database confirmed that the list we hold (or were sent earlier in this
        # batch) is the one of this message's version.
        known = held[request.channel_id]
        assert known is not None and known[0] == version
        return Stored(message, {}, known[1])


async def _store_extras(conn: Any, reqs: list[SendRequest], rows: list[Any]) -> None:
    """Set reply_to and mentions of the batch's stored messages that have them. The
    shared bucket lock taken by the batch is held until COMMIT, so the active bucket
    is still the one the messages went to."""
    picked = [
        (r.channel_id, row[2], r.reply_to, " ".join(r.mentions))
        for r, row in zip(reqs, rows, strict=True)
        if row[0] == "stored" and (r.reply_to is not None or r.mentions)
    ]
    if not picked:
        return
    await conn.execute(
        "UPDATE messages m SET reply_to = t.reply_to,"
        " mentions = string_to_array(t.mentions, ' ')"
        " FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])"
        " AS t (channel_id, message_id, reply_to, mentions)"
        " WHERE m.channel_id = t.channel_id AND m.message_id = t.message_id"
        " AND m.bucket = (SELECT max(bucket) FROM chinwag_buckets"
        " WHERE active_since IS NOT NULL)",
        [p[0] for p in picked],
        [p[1] for p in picked],
        [p[2] for p in picked],
        [p[3] for p in picked],
    )


async def _link_attachments(conn: Any, reqs: list[SendRequest], rows: list[Any]) -> None:
    """Each stored message's attachments, in the transaction that stored it."""
    links = [
        (req.channel_id, row[2], n, aid)
        for req, row in zip(reqs, rows, strict=True)
        if row[0] == "stored"
        for n, aid in enumerate(req.attachment_ids)
    ]
    if links:
        await conn.executemany(
            "INSERT INTO message_attachments (channel_id, message_id, position, attachment_id)"
            " VALUES ($1, $2, $3, $4)",
            links,
        )


def _entries(first: Any) -> dict[int, tuple[list[str], list[int]]]:
    """The batch's inbox entries (on its first row), by send: (members, their seqs)."""
    by_send: dict[int, tuple[list[str], list[int]]] = {}
    sends, users, seqs = first[10], first[11], first[12]
    if sends is None:
        return by_send
    for n, user, seq in zip(sends, users, seqs, strict=True):
        entry = by_send.get(n)
        if entry is None:
            entry = by_send[n] = ([], [])
        entry[0].append(user)
        entry[1].append(seq)
    return by_send


def _version(members: Members | None) -> int:
    return members[0] if members is not None else NO_VERSION


def _mismatched(exc: asyncpg.PostgresError) -> dict[int, SendRefusal]:
    """The refusals in CW415's DETAIL ("3:encrypted,5:plain"), by position."""
    refused = {}
    for item in (getattr(exc, "detail", None) or "").split(","):
        position, _, kind = item.partition(":")
        if not position.isdigit():
            continue
        refused[int(position)] = SendRefusal.ENCRYPTED if kind == "encrypted" else SendRefusal.PLAIN
    return refused


def _resolve(send: _Send, outcome: Outcome) -> None:
    if not send.future.done():
        send.future.set_result(outcome)
    if send.repeats:
        again: Outcome = outcome
        if isinstance(outcome, Stored):
            again = Stored(outcome.message, {}, (), duplicate=True)
        for future in send.repeats:
            if not future.done():
                future.set_result(again)


def _fail(batch: Sequence[_Send], exc: BaseException) -> None:
    for send in batch:
        for future in (send.future, *send.repeats):
            if not future.done():
                future.set_exception(exc)
