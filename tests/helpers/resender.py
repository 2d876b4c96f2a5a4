"""A client that keeps resending (same client_msg_id) until every message is acknowledged,
reconnecting when the socket drops: what a well-behaved chinwag client does."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.helpers.wsclient import WsClient


@dataclass
class Progress:
    """What a sender has seen so far, for a test to wait on."""

    acked: dict[str, int] = field(default_factory=dict)
    # Error frames and sockets lost or refused: how often a fault reached the sender.
    troubles: int = 0


async def send_all(
    url: str,
    token: str,
    channel: str,
    ids: list[str],
    *,
    window: int = 8,
    deadline: float = 120.0,
    progress: Progress | None = None,
) -> dict[str, int]:
    progress = progress if progress is not None else Progress()
    acked = progress.acked
    errors = 0
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while len(acked) < len(ids):
        if loop.time() > end:
            raise AssertionError(f"only {len(acked)} of {len(ids)} acknowledged; {errors} errors")
        try:
            ws = await WsClient.connect(url)
            await ws.hello(token)
        except Exception:
            progress.troubles += 1
            await asyncio.sleep(0.2)
            continue
        try:
            pending = [i for i in ids if i not in acked]
            while pending:
                batch, pending = pending[:window], pending[window:]
                for cid in batch:
                    ws.send(
                        {"type": "send", "channel_id": channel, "client_msg_id": cid, "text": cid}
                    )
                for _ in batch:
                    frame = await ws.recv(timeout=10)
                    while frame["type"] not in ("sent", "error"):
                        frame = await ws.recv(timeout=10)
                    if frame["type"] == "sent":
                        acked[frame["client_msg_id"]] = frame["message_id"]
                    else:
                        errors += 1
                        progress.troubles += 1
                if any(c not in acked for c in batch):
                    await asyncio.sleep(0.1)  # storage trouble: back off, then resend
                    pending = [c for c in batch if c not in acked] + pending
        except (TimeoutError, ConnectionError, OSError):
            progress.troubles += 1
            await asyncio.sleep(0.1)
        finally:
            with contextlib.suppress(Exception):
                ws.transport.disconnect(graceful=False)
    return acked
