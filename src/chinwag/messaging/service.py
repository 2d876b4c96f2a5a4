"""The send path, history and sync.

Order of a send (docs/architecture.md, "The path of one message"): validate, rate limit,
then one durable transaction in the store (idempotency, membership, message id, message,
inbox entries), and only after it commits publish the message to every member's devices.
The caller sends the `sent` acknowledgement after `send` returns.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from chinwag import wire
from chinwag.clock import Clock, Stamps
from chinwag.errors import ChinwagError, Code, forbidden, invalid, not_found, rate_limited
from chinwag.events import Publisher
from chinwag.media.models import MAX_PER_MESSAGE, Attachment
from chinwag.messaging.mentions import usernames_in
from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored
from chinwag.messaging.search import SearchQuery
from chinwag.messaging.store import AttachmentLookup, MessageStore, then_of
from chinwag.protocol.codec import (
    ENCRYPTED_MARK,
    MARK_REFUSED,
    MAX_CLIENT_MSG_ID,
    MAX_INT,
    encrypted_problem,
    message_frame,
)
from chinwag.protocol.frames import EncryptedBody
from chinwag.ratelimit import RateLimiter

log = logging.getLogger("chinwag.messaging")

StoredListener = Callable[[Stored], None]


ENCRYPTED_CHANNEL = "this channel is end-to-end encrypted: send `encrypted`, not `text`"
PLAIN_CHANNEL = "this channel is not end-to-end encrypted"


_body_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class SendLimits:
    max_text_chars: int
    sends_per_sec: float
    burst: int


class MessagingService:
    def __init__(
        self,
        store: MessageStore,
        bus: Publisher,
        clock: Clock,
        limits: SendLimits,
        attachments: AttachmentLookup | None = None,
    ) -> None:
        self._store = store
        self._attachments = attachments
        self._bus = bus
        self._clock = clock
        self._limits = limits
        self._rate = RateLimiter(limits.sends_per_sec, float(limits.burst), clock)
        self._listeners: list[StoredListener] = []
        self._stamps = Stamps()
        # By device, the send on the slow path (a lookup first) that has not yet been
        # handed to the store: the device's later sends queue behind it until it has
        # been, so none overtakes it into the store (whose queue keeps the order).
        self._behind: dict[str, asyncio.Future[None]] = {}

    def on_stored(self, listener: StoredListener) -> None:
        """Called after each new message is committed and published (e.g. push)."""
        self._listeners.append(listener)

    def check(
        self,
        client_msg_id: str,
        text: str,
        encrypted: EncryptedBody | None = None,
        attachment_ids: tuple[str, ...] = (),
    ) -> str:
        """Validate a send; returns the text to store (an encrypted body behind its mark)."""
        if not 1 <= len(client_msg_id) <= MAX_CLIENT_MSG_ID:
            raise invalid("client_msg_id must be 1 to 64 characters")
        if attachment_ids:
            if len(attachment_ids) > MAX_PER_MESSAGE:
                raise invalid(f"a message carries at most {MAX_PER_MESSAGE} attachments")
            if len(set(attachment_ids)) != len(attachment_ids):
                raise invalid("an attachment is listed twice")
        if encrypted is not None:
            # Its attachments, if any, are the client's ciphertext; linking them lets the
            # members download them and keeps them from the sweep.
            problem = encrypted_problem(text, encrypted, self._limits.max_text_chars)
            if problem:
                raise invalid(problem)
            return ENCRYPTED_MARK + _body_encoder.encode(encrypted).decode()
        if not text and not attachment_ids:
            raise invalid("text must not be empty")
        if len(text) > self._limits.max_text_chars:
            raise invalid(f"text is longer than {self._limits.max_text_chars} characters")
        if text.startswith(ENCRYPTED_MARK):
            raise invalid(MARK_REFUSED)
        return text

    async def send(
        self,
        user_id: str,
        device_id: str,
        channel_id: str,
        client_msg_id: str,
        text: str,
        encrypted: EncryptedBody | None = None,
        *,
        reply_to: int | None = None,
        attachment_ids: tuple[str, ...] = (),
    ) -> Stored:
        """Store and publish a message; returns once it is committed and published."""
        done: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()

        def finish(result: Stored | ChinwagError) -> None:
            if isinstance(result, ChinwagError):
                done.set_exception(result)
            else:
                done.set_result(result)

        self.submit(
            user_id,
            device_id,
            channel_id,
            client_msg_id,
            text,
            finish,
            ack_first=False,
            encrypted=encrypted,
            reply_to=reply_to,
            attachment_ids=attachment_ids,
        )
        return await done

    def submit(
        self,
        user_id: str,
        device_id: str,
        channel_id: str,
        client_msg_id: str,
        text: str,
        on_done: Callable[[Stored | ChinwagError], None],
        *,
        ack_first: bool = True,
        encrypted: EncryptedBody | None = None,
        reply_to: int | None = None,
        attachment_ids: tuple[str, ...] = (),
    ) -> None:
        """The same as `send` without a task per message (the gateway's hot path):
        `on_done` gets the outcome after the commit; with `ack_first` it runs before the
        publish (it sends `sent`), else after it."""
        try:
            stored_text = self.check(client_msg_id, text, encrypted, attachment_ids)
            wait = self._rate.take(user_id)
            if wait:
                raise rate_limited(wait)
            is_encrypted = encrypted is not None
            request = SendRequest(
                user_id,
                device_id,
                channel_id,
                client_msg_id,
                stored_text,
                int(self._clock.now() * 1000),  # now_ms, without a call per message
                reply_to,
                attachment_ids=attachment_ids,
                encrypted=is_encrypted,
            )
            ahead = self._behind.get(device_id)
            # An encrypted body is opaque: its mentions are not resolved (`text` is empty).
            if ahead is not None or reply_to is not None or "@" in text or attachment_ids:
                handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._behind[device_id] = handed
                handed.add_done_callback(functools.partial(self._caught_up, device_id))
                then_of(
                    asyncio.ensure_future(
                        self._append_prepared(request, after=ahead, handed=handed)
                    ),
                    functools.partial(self._committed, on_done, ack_first),
                )
            else:
                # No future, no task: the outcome comes straight to `_committed`.
                self._store.append_then(
                    request, functools.partial(self._committed, on_done, ack_first)
                )
        except ChinwagError as exc:
            on_done(exc)

    def _caught_up(self, device_id: str, handed: asyncio.Future[None]) -> None:
        if self._behind.get(device_id) is handed:
            del self._behind[device_id]

    async def _append_prepared(
        self,
        request: SendRequest,
        *,
        after: asyncio.Future[None] | None = None,
        handed: asyncio.Future[None] | None = None,
    ) -> Stored | SendRefusal:
        """The cold path of a send: first, if an earlier send of the same device is still
        on this path, wait until it has been handed to the store (or failed), so a
        device's messages are stored in the order it sent them; then check its reply and
        resolve its mentions. `handed` is set once this one has been handed over (or has
        failed)."""
        try:
            if after is not None and not after.done():
                await asyncio.wait((after,))
            request = await self._prepare(request)
            found = await self._owned(request) if request.attachment_ids else None
            appended = self._store.append(request)
        finally:
            if handed is not None and not handed.done():
                handed.set_result(None)
        if found is None:
            return await appended
        return await self._attached(await appended, request.attachment_ids, found)

    async def _prepare(self, request: SendRequest) -> SendRequest:
        if request.reply_to is not None:
            found = None
            if 1 <= request.reply_to <= MAX_INT:
                found = await self._store.message(request.channel_id, request.reply_to)
            if found is None:
                raise invalid("reply_to is not a message of this channel")
        names = () if request.encrypted else usernames_in(request.text)
        if names:
            ids = tuple(await self._store.members_named(request.channel_id, names))
            request = msgspec.structs.replace(request, mentions=ids)
        return request

    def _committed(
        self,
        on_done: Callable[[Stored | ChinwagError], None],
        ack_first: bool,
        result: Stored | SendRefusal | None,
        exc: BaseException | None,
    ) -> None:
        if exc is not None:
            if isinstance(exc, ChinwagError):
                on_done(exc)
                return
            log.error("send failed", exc_info=exc)
            on_done(ChinwagError(Code.INTERNAL, "internal error"))
            return
        if result is SendRefusal.NO_CHANNEL:
            on_done(not_found("no such channel"))
            return
        if result is SendRefusal.NOT_MEMBER:
            on_done(forbidden("you are not a member of this channel"))
            return
        if result is SendRefusal.CLOSED:
            on_done(forbidden("direct messages need a friendship"))
            return
        if result is SendRefusal.ENCRYPTED:
            on_done(invalid(ENCRYPTED_CHANNEL))
            return
        if result is SendRefusal.PLAIN:
            on_done(invalid(PLAIN_CHANNEL))
            return
        assert isinstance(result, Stored)
        if ack_first:
            on_done(result)
        if not result.duplicate:
            self.publish(result)
            for listener in self._listeners:
                listener(result)
        if not ack_first:
            on_done(result)

    async def _owned(self, request: SendRequest) -> dict[str, Attachment]:
        """Each attachment must be an upload of the sender's; the engine links them to
        the message in the send transaction."""
        if self._attachments is None:
            raise invalid("attachments are not served here")
        ids = list(request.attachment_ids)
        found = {a.id: a for a in await self._attachments.owned(ids, request.sender_id)}
        if len(found) != len(ids):
            # Never uploaded, or someone else's: the same answer, so ids reveal nothing.
            raise invalid("unknown attachment id: " + next(i for i in ids if i not in found))
        return found

    async def _attached(
        self, outcome: Stored | SendRefusal, ids: tuple[str, ...], found: dict[str, Attachment]
    ) -> Stored | SendRefusal:
        if not isinstance(outcome, Stored):
            return outcome
        if outcome.duplicate:
            # The original's own attachments, whatever this resend lists.
            return msgspec.structs.replace(
                outcome, message=(await self._with_attachments([outcome.message]))[0]
            )
        message = msgspec.structs.replace(outcome.message, attachments=tuple(found[i] for i in ids))
        return msgspec.structs.replace(outcome, message=message)

    async def _with_attachments(self, messages: list[Message]) -> list[Message]:
        return await with_attachments(self._attachments, messages)

    def publish(self, stored: Stored) -> None:
        body = wire.message_json(stored.message, self._stamps)
        if stored.cursors:
            to_user = self._bus.to_user
            for user_id, seq in stored.cursors.items():
                to_user(user_id, message_frame(body, seq), seq)
        else:
            m = stored.message
            self._bus.to_channel(m.channel_id, message_frame(body, None), m.message_id)

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        """History of a channel; the caller has checked membership."""
        found = await self._store.history(channel_id, before=before, after=after, limit=limit)
        return await self._with_attachments(found)

    async def search(self, query: SearchQuery) -> list[Message]:
        """Messages the user may see that match the query (see `MessageStore.search`)."""
        return await self._with_attachments(await self._store.search(query))

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        entries = await self._store.inbox_after(user_id, cursor, limit)
        if self._attachments is None or not entries:
            return entries
        messages = await self._with_attachments([e.message for e in entries])
        return [InboxEntry(e.seq, m, e.event) for e, m in zip(entries, messages, strict=True)]

    async def inbox_head(self, user_id: str) -> int:
        return await self._store.inbox_head(user_id)


async def with_attachments(
    lookup: AttachmentLookup | None, messages: list[Message]
) -> list[Message]:
    """The messages with their attachments (the engines store only the links)."""
    if lookup is None or not messages:
        return messages
    found = await lookup.for_messages([(m.channel_id, m.message_id) for m in messages])
    if not found:
        return messages
    return [
        msgspec.structs.replace(m, attachments=tuple(found[(m.channel_id, m.message_id)]))
        if (m.channel_id, m.message_id) in found
        else m
        for m in messages
    ]


def is_retryable(exc: ChinwagError) -> bool:
    return exc.code in (Code.UNAVAILABLE, Code.RATE_LIMITED)
