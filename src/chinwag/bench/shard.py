"""One worker's part of a run: open its sockets, wait for the go, drive, check, report.

The same code runs in a spawned process (over a pipe) or in the coordinator's own loop
(over queues, for `--procs 1` and tests). Phases follow the coordinator: Ready, Go,
SendDone, Expect, ShardResult (see `links`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

import psutil  # type: ignore[import-untyped]

from chinwag.bench.connect import close_all, open_all, raise_open_files_limit
from chinwag.bench.device import BenchDevice
from chinwag.bench.links import Expect, Go, Link, Progress, Ready, SendDone, ShardResult
from chinwag.bench.specs import ShardPlan
from chinwag.bench.tally import Tally

PACE_TICK = 0.001  # seconds between open-loop pacing rounds


async def _sleep_until(deadline_ns: int) -> None:
    delay = (deadline_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


def _report_progress(link: Link, tally: Tally) -> Callable[[], None]:
    """Send a Progress every second until cancelled; returns the cancel function."""
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def tick() -> None:
        nonlocal handle
        link.send(
            Progress(
                tally.sent,
                tally.acked,
                tally.delivered,
                tally.connected,
                tally.synced,
                tally.peak_us,
            )
        )
        tally.peak_us = 0
        handle = loop.call_later(1.0, tick)

    tick()
    return lambda: handle.cancel() if handle else None


def _pace(devices: Sequence[BenchDevice]) -> Callable[[], None]:
    """Open-loop senders: one timer for the whole process, not one per message."""
    senders = [d.sender for d in devices if d.sender is not None and d.sender.interval_ns]
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def tick() -> None:
        nonlocal handle
        now = time.monotonic_ns()
        live = False
        for s in senders:
            if s.remaining > 0:
                s.pump(now)
                live = True
        handle = loop.call_later(PACE_TICK, tick) if live else None

    if senders:
        tick()
    return lambda: handle.cancel() if handle else None


async def _traffic(
    devices: Sequence[BenchDevice], timeout: float, tally: Tally, link: Link, go: Go
) -> tuple[bool, dict[str, int], int]:
    """Send, report acks, learn what to expect, wait for it.

    Returns (finished in time, last message id per channel, sends never acknowledged)."""
    senders = [d.sender for d in devices if d.sender is not None]
    tally.expect_senders(len(senders))
    await _sleep_until(go.start_ns)
    for s in senders:
        s.start(go.start_ns, go.stop_ns)
    stop_pacing = _pace(devices)
    timed_out = False
    assert tally.senders_done is not None
    if not await _progressing(tally.senders_done, lambda: tally.acked + tally.sent, timeout):
        timed_out = True
        tally.note(f"no acknowledgement for {timeout:g} s: senders gave up")
    stop_pacing()
    unacked = sum(s.inflight + max(0, s.remaining) for s in senders)
    link.send(SendDone(tally.acks, unacked))
    expect = await link.recv()
    assert isinstance(expect, Expect)
    last_ids = expect.last_ids
    target = sum(last_ids.get(c, 0) for d in devices for c in d.tracks)
    tally.expect_received(target)
    assert tally.complete is not None
    if not await _progressing(tally.complete, lambda: tally.received, timeout):
        timed_out = True
        tally.note(f"no delivery for {timeout:g} s: {tally.received} of {target} received")
    return not timed_out, last_ids, unacked


async def _progressing(done: asyncio.Future[None], count: Callable[[], int], stall: float) -> bool:
    """Wait for `done` as long as `count()` keeps moving; False once it stood still for
    `stall` seconds. A long run is never cut short, a stuck one ends promptly."""
    last = count()
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(done), stall)
            return True
        except TimeoutError:
            now = count()
            if now == last:
                return False
            last = now


async def _storm(devices: Sequence[BenchDevice], plan: ShardPlan, tally: Tally, go: Go) -> bool:
    """Reconnect every device with its old cursor at once; wait until all are synced."""
    tally.expect_synced(tally.synced + len(devices))
    await _sleep_until(go.start_ns)
    await open_all(devices, plan, tally, resume=True)
    assert tally.all_synced is not None
    stall = plan.config.timeout
    if not await _progressing(tally.all_synced, lambda: tally.synced + tally.received, stall):
        tally.note(f"nothing synced for {stall:g} s: {tally.synced} devices synced")
        return False
    # Each device's own time from connecting to synced is its latency sample.
    for d in devices:
        tally.latencies.append((d.synced_ns - d.opened_ns) // 1000)
    return True


def summarize(
    devices: Sequence[BenchDevice], tally: Tally, last_ids: dict[str, int]
) -> ShardResult:
    """Counters plus the end-of-run checks of every device's sequences."""
    r = ShardResult(
        sent=tally.sent,
        acked=tally.acked,
        delivered=tally.delivered,
        echoes=tally.echoes,
        received=tally.received,
        foreign=tally.foreign,
        synced=tally.synced,
        connect_failures=tally.connect_failures,
        resets=tally.resets,
        unexpected_closes=tally.unexpected_closes,
        close_codes=tally.close_codes,
        errors=tally.errors,
        latencies=tally.latencies.tobytes(),
    )
    for d in devices:
        for channel_id, track in d.tracks.items():
            expected = last_ids.get(channel_id, 0)
            lost = track.lost(expected)
            if lost or not track.clean:
                tally.note(
                    f"user {d.user_id} channel {channel_id}: {lost} lost, {track.duplicates}"
                    f" duplicated, {track.late} out of order (last {track.last} of {expected})"
                )
            r.lost += lost
            r.duplicated += track.duplicates
            r.out_of_order += track.late
        cursor = d.cursor
        if cursor is not None:
            r.cursor_gaps += cursor.holes
            r.cursor_duplicates += cursor.duplicates
            r.cursor_out_of_order += cursor.late
            if not cursor.clean:
                tally.note(
                    f"user {d.user_id} cursors: {cursor.holes} skipped, {cursor.duplicates}"
                    f" repeated, {cursor.late} out of order"
                )
    r.examples = tally.examples
    return r


async def run_shard(plan: ShardPlan, link: Link) -> None:
    """Run one shard to the end, talking to the coordinator through `link`."""
    raise_open_files_limit()
    cfg = plan.config
    tally = Tally()
    devices = [BenchDevice(tally, spec, cfg.text_size, cfg.heartbeat) for spec in plan.devices]
    stop_progress = _report_progress(link, tally)
    began = time.monotonic()
    failed = await open_all(devices, plan, tally, resume=False)
    connected = len(devices) - failed
    if plan.mode == "reconnect":
        # Remember each device's cursor, then go away so that messages are missed.
        await close_all(devices)
    connect_s = time.monotonic() - began
    link.send(Ready(connected, failed, connect_s))
    go = await link.recv()
    assert isinstance(go, Go)
    cpu_before = time.process_time()
    ok, last_ids, unacked = True, go.expect, 0
    if plan.mode == "traffic":
        ok, last_ids, unacked = await _traffic(devices, cfg.timeout, tally, link, go)
        end_ns = tally.complete_ns
    elif plan.mode == "reconnect":
        ok = await _storm(devices, plan, tally, go)
        end_ns = max((d.synced_ns for d in devices), default=0)
    else:
        await _sleep_until(go.stop_ns)
        end_ns = time.monotonic_ns()
    cpu_s = time.process_time() - cpu_before
    stop_progress()
    result = summarize(devices, tally, last_ids)
    with contextlib.suppress(Exception):
        await close_all(devices)
    result.connected = connected
    result.unacked = unacked
    result.timed_out = not ok
    result.cpu_s = cpu_s
    result.end_ns = end_ns
    result.connect_s = connect_s
    result.rss_bytes = psutil.Process().memory_info().rss
    link.send(result)
