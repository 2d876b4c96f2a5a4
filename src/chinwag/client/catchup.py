"""Fetching over HTTP what the WebSocket cannot replay: large groups and resets.

Each function returns the events to deliver, oldest first, each with the position step
(`Commit`) it makes; the session queues them like frames.
"""

from __future__ import annotations

from chinwag.client.errors import ChinwagApiError
from chinwag.client.events import Event, MessageEvent, ResetEvent
from chinwag.client.http import ApiClient
from chinwag.client.models import Message
from chinwag.client.options import SessionOptions
from chinwag.client.sync import Commit

PAGE_MAX = 200  # the contract's largest history page

Item = tuple[Event, Commit]


async def group_gap(
    api: ApiClient, channel_id: str, after: int | None, head: int, recent: int, limit: int
) -> tuple[list[Message], bool]:
    """The messages of a large group after `after` up to `head`, oldest first.

    When `after` is None (the group is new to this client) or the gap is over `limit`
    messages, only the newest `recent` are fetched and the second value is True: older
    messages were skipped.
    """
    if after is None or head - after > limit:
        return await api.history(channel_id, limit=max(1, min(recent, PAGE_MAX))), True
    found: list[Message] = []
    while after < head:
        page = await api.history(channel_id, after=after, limit=PAGE_MAX)
        found.extend(page)
        if len(page) < PAGE_MAX:
            break
        after = page[-1].message_id
    return found, False


async def group_items(
    api: ApiClient,
    channel_id: str,
    known: int | None,
    head: int,
    cursor: int | None,
    options: SessionOptions,
) -> list[Item]:
    """What a large group missed since message `known`; a `ResetEvent` for it first
    when the gap was too long to fetch whole."""
    try:
        messages, cut = await group_gap(
            api, channel_id, known, head, options.reset_history, options.catchup_limit
        )
    except ChinwagApiError as exc:
        if exc.code in ("forbidden", "not_found"):
            return []  # left or removed since the welcome: nothing to catch up
        raise
    items: list[Item] = []
    if cut and known is not None:
        items.append((ResetEvent(cursor or 0, channel_id), Commit()))
    for m in messages:
        items.append((MessageEvent(None, m), Commit(large=((channel_id, m.message_id),))))
    return items


async def reset_items(api: ApiClient, reset: ResetEvent, options: SessionOptions) -> list[Item]:
    """The reset itself, then the newest messages of every channel.

    The new cursor (and large groups' marks) ride on the last item, so the position
    moves past the reset only once the consumer has had all it brought."""
    items: list[Item] = [(reset, Commit())]
    large: list[tuple[str, int]] = []
    recent = max(1, min(options.reset_history, PAGE_MAX))
    for channel in await api.channels():
        if channel.last_message_id == 0:
            continue
        page = await api.history(channel.id, limit=recent)
        items += [(MessageEvent(None, m), Commit()) for m in page]
        if channel.large and page:
            large.append((channel.id, page[-1].message_id))
    event, commit = items[-1]
    items[-1] = (event, commit.merged(Commit(reset.cursor, tuple(large))))
    return items
