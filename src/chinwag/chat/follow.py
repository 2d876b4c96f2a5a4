"""`chinwag chat follow`: print a channel's messages as they arrive, until Ctrl-C
(or SIGTERM; both end it cleanly with status 0).

The sync position is kept in `cursor.json` under the user and channel, so a later
`follow` of the same channel first prints what was missed since the last one, exactly
once. The first `follow` of a channel prints its recent history instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from chinwag.chat.context import Context, find_channel
from chinwag.chat.output import Names, message_line
from chinwag.client import (
    ChatSession,
    Connected,
    Disconnected,
    JsonFileCursorStore,
    MessageEvent,
    ResetEvent,
)

RECENT = 20


def _note(text: str) -> None:
    print(f"chinwag: {text}", file=sys.stderr, flush=True)


async def follow(ctx: Context) -> None:
    """Follow until Ctrl-C (the caller treats that as success) or SIGTERM."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        await _follow(ctx)
    except asyncio.CancelledError:
        if not terminated:
            raise
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


async def _follow(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        channel = await find_channel(api, ctx.args.target)
        names = Names(api)
        names.add(saved.user_id, saved.username)
        store = JsonFileCursorStore(ctx.files.cursor_path, f"{saved.user_id}/{channel.id}")
        first_time = store.load().cursor is None
        shown_up_to = 0  # on a first follow, history printed up to here; live may overlap
        started = False
        async with ChatSession(api, cursor_store=store) as session:
            async for event in session.events():
                if isinstance(event, Connected):
                    if not started:
                        if first_time:
                            # Fetched after the session is live, so nothing falls between
                            # the history and the live messages.
                            for m in await api.history(channel.id, limit=RECENT):
                                print(message_line(m, await names.of(m.sender_id)), flush=True)
                                shown_up_to = m.message_id
                        _note(f"following {ctx.args.target} (Ctrl-C to stop)")
                        started = True
                    else:
                        _note("reconnected")
                elif isinstance(event, Disconnected) and started:
                    _note(f"connection lost ({event.reason}); retrying in {event.retry_in:.0f}s")
                elif isinstance(event, ResetEvent):
                    _note("too much was missed to replay; older messages: 'chinwag chat history'")
                elif isinstance(event, MessageEvent):
                    m = event.message
                    if m.channel_id == channel.id and m.message_id > shown_up_to:
                        print(message_line(m, await names.of(m.sender_id)), flush=True)
