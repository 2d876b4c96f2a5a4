"""The send path, history and sync.

Order of a send (docs/architecture.md, "The path of one message"): validate, rate limit,
then one durable transaction in the store (idempotency, membership, message id, message,
inbox entries), and only after it commits publish the message to every member's devices.
The caller sends the `sent` acknowledgement after `send` returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from chinwag import wire
from chinwag.clock import Clock, now_ms
from chinwag.errors import ChinwagError, Code, forbidden, invalid, not_found, rate_limited
from chinwag.events import Publisher
from chinwag.messaging.mentions import usernames_in
from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored
from chinwag.messaging.search import SearchQuery
from chinwag.messaging.store import MessageStore
from chinwag.protocol.codec import MAX_CLIENT_MSG_ID, MAX_INT, message_frame
from chinwag.ratelimit import RateLimiter

log = logging.getLogger("chinwag.messaging")

StoredListener = Callable[[Stored], None]


@dataclass(frozen=True, slots=True)
class SendLimits:
    max_text_chars: int
    sends_per_sec: float
    burst: int


class MessagingService:
    def __init__(
        self, store: MessageStore, bus: Publisher, clock: Clock, limits: SendLimits
    ) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self._limits = limits
        self._rate = RateLimiter(limits.sends_per_sec, float(limits.burst), clock)
        self._listeners: list[StoredListener] = []

    def on_stored(self, listener: StoredListener) -> None:
        """Called after each new message is committed and published (e.g. push)."""
        self._listeners.append(listener)

    def check(self, client_msg_id: str, text: str) -> None:
        if not 1 <= len(client_msg_id) <= MAX_CLIENT_MSG_ID:
            raise invalid("client_msg_id must be 1 to 64 characters")
        if not text:
            raise invalid("text must not be empty")
        if len(text) > self._limits.max_text_chars:
            raise invalid(f"text is longer than {self._limits.max_text_chars} characters")

    async def send(
        self,
        user_id: str,
        device_id: str,
        channel_id: str,
        client_msg_id: str,
        text: str,
        *,
        reply_to: int | None = None,
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
            reply_to=reply_to,
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
        reply_to: int | None = None,
    ) -> None:
        """The same as `send` without a task per message (the gateway's hot path):
        `on_done` gets the outcome after the commit; with `ack_first` it runs before the
        publish (it sends `sent`), else after it."""
        try:
            self.check(client_msg_id, text)
            wait = self._rate.take(user_id)
            if wait:
                raise rate_limited(wait)
            request = SendRequest(
                user_id, device_id, channel_id, client_msg_id, text, now_ms(self._clock), reply_to
            )
            if reply_to is not None or "@" in text:
                pending = asyncio.ensure_future(self._append_prepared(request))
            else:
                pending = asyncio.ensure_future(self._store.append(request))
        except ChinwagError as exc:
            on_done(exc)
            return
        pending.add_done_callback(lambda fut: self._committed(fut, on_done, ack_first))

    async def _append_prepared(self, request: SendRequest) -> Stored | SendRefusal:
        """The cold path of a send: check its reply and resolve its mentions first."""
        if request.reply_to is not None:
            found = None
            if 1 <= request.reply_to <= MAX_INT:
                found = await self._store.message(request.channel_id, request.reply_to)
            if found is None:
                raise invalid("reply_to is not a message of this channel")
        names = usernames_in(request.text)
        if names:
            ids = tuple(await self._store.members_named(request.channel_id, names))
            request = replace(request, mentions=ids)
        return await self._store.append(request)

    def _committed(
        self,
        fut: asyncio.Future[Stored | SendRefusal],
        on_done: Callable[[Stored | ChinwagError], None],
        ack_first: bool,
    ) -> None:
        exc = fut.exception()
        if exc is not None:
            if isinstance(exc, ChinwagError):
                on_done(exc)
                return
            log.error("send failed", exc_info=exc)
            on_done(ChinwagError(Code.INTERNAL, "internal error"))
            return
        result = fut.result()
        if result is SendRefusal.NO_CHANNEL:
            on_done(not_found("no such channel"))
            return
        if result is SendRefusal.NOT_MEMBER:
            on_done(forbidden("you are not a member of this channel"))
            return
        if result is SendRefusal.CLOSED:
            on_done(forbidden("direct messages need a friendship"))
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

    def publish(self, stored: Stored) -> None:
        body = wire.message_json(stored.message)
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
        return await self._store.history(channel_id, before=before, after=after, limit=limit)

    async def search(self, query: SearchQuery) -> list[Message]:
        """Messages the user may see that match the query (see `MessageStore.search`)."""
        return await self._store.search(query)

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        return await self._store.inbox_after(user_id, cursor, limit)

    async def inbox_head(self, user_id: str) -> int:
        return await self._store.inbox_head(user_id)


def is_retryable(exc: ChinwagError) -> bool:
    return exc.code in (Code.UNAVAILABLE, Code.RATE_LIMITED)
