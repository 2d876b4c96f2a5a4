"""What one process has seen so far: counters bumped by the socket callbacks.

One plain object per process, handed to every device, so the hot path is attribute
increments and an `array.append` (no locks: each process runs one event loop).
"""

from __future__ import annotations

import asyncio
import time
from array import array

MAX_EXAMPLES = 10


class Tally:
    """Counters and completion signals of one shard."""

    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self.delivered = 0  # message frames at a device of another user than the sender
        self.echoes = 0  # message frames at the sender's own device
        self.received = 0  # distinct (device, channel, message_id) seen
        self.foreign = 0  # message frames of channels the plan did not expect
        self.connected = 0
        self.synced = 0
        self.resets = 0
        self.unexpected_closes = 0
        self.connect_failures = 0
        self.errors: dict[str, int] = {}
        self.close_codes: dict[str, int] = {}
        self.examples: list[str] = []
        # Latency samples in microseconds: 8 bytes each, exact percentiles afterwards.
        self.latencies: array[int] = array("q")
        self.peak_us = 0  # highest latency since the last progress report
        # channel id -> [acks, highest acknowledged message id]
        self.acks: dict[str, list[int]] = {}
        self.last_delivery_ns = 0
        self.complete_ns = 0
        self.target = 1 << 62
        self._senders_left = 0
        self._synced_target = 1 << 62
        self.senders_done: asyncio.Future[None] | None = None
        self.complete: asyncio.Future[None] | None = None
        self.all_synced: asyncio.Future[None] | None = None

    # -- failures ---------------------------------------------------------------------

    def note(self, text: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(text)

    def error(self, code: str, detail: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1
        self.note(f"error frame {code}: {detail}")

    def closed(self, code: int) -> None:
        self.unexpected_closes += 1
        key = str(code)
        self.close_codes[key] = self.close_codes.get(key, 0) + 1
        self.note(f"socket closed unexpectedly (code {code})")

    # -- acknowledgements ---------------------------------------------------------------

    def ack(self, channel_id: str, message_id: int) -> None:
        self.acked += 1
        entry = self.acks.get(channel_id)
        if entry is None:
            self.acks[channel_id] = [1, message_id]
        else:
            entry[0] += 1
            if message_id > entry[1]:
                entry[1] = message_id

    def expect_senders(self, count: int) -> None:
        self._senders_left = count
        self.senders_done = asyncio.get_running_loop().create_future()
        if count == 0:
            self.senders_done.set_result(None)

    def sender_finished(self) -> None:
        self._senders_left -= 1
        if self._senders_left == 0 and self.senders_done and not self.senders_done.done():
            self.senders_done.set_result(None)

    # -- deliveries ---------------------------------------------------------------------

    def expect_received(self, target: int) -> None:
        """Complete once `target` distinct messages have been received in all."""
        self.target = target
        self.complete = asyncio.get_running_loop().create_future()
        self.check_complete()

    def check_complete(self) -> None:
        if self.received >= self.target and self.complete and not self.complete.done():
            self.complete_ns = self.last_delivery_ns or time.monotonic_ns()
            self.complete.set_result(None)

    def expect_synced(self, count: int) -> None:
        self._synced_target = count
        self.all_synced = asyncio.get_running_loop().create_future()
        self.on_synced()

    def on_synced(self) -> None:
        if self.synced >= self._synced_target and self.all_synced and not self.all_synced.done():
            self.all_synced.set_result(None)
