"""The pure parts of the client: codec, sync bookkeeping, backoff, buffer, outbox."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from chinwag.client import Ack, Message, MessageEvent, Position, SessionClosed
from chinwag.client.buffer import EventBuffer
from chinwag.client.cursor import JsonFileCursorStore, MemoryCursorStore
from chinwag.client.frames import Codec, FrameDecodeError, Hello, Send, Welcome
from chinwag.client.http import websocket_url
from chinwag.client.options import Backoff, SessionOptions
from chinwag.client.outbox import Outbox
from chinwag.client.sync import Commit, SyncState


def message(channel: str, message_id: int) -> Message:
    return Message(channel, message_id, "u_1", "hi", "2024-01-01T00:00:00Z", "x")


def test_codec_round_trip_and_unknown_frames() -> None:
    codec = Codec()
    assert codec.encode(Hello("tok")) == b'{"type":"hello","token":"tok"}'
    assert codec.encode(Hello("tok", 0)) == b'{"type":"hello","token":"tok","cursor":0}'
    assert b'"type":"send"' in codec.encode(Send("c", "m", "t"))
    frame = codec.decode(
        b'{"type":"message","cursor":null,"message":{"channel_id":"c","message_id":2,'
        b'"sender_id":"u","text":"t","created_at":"now","client_msg_id":"m","new":1}}'
    )
    assert isinstance(frame, MessageEvent) and frame.cursor is None
    welcome = codec.decode(
        b'{"type":"welcome","user_id":"u","device_id":"d","cursor":5,'
        b'"heartbeat_interval":5,"gateway_id":"g","large_groups":[]}'
    )
    assert isinstance(welcome, Welcome) and welcome.cursor == 5
    assert codec.decode(b'{"type":"something_new","x":1}') is None
    with pytest.raises(FrameDecodeError):
        codec.decode(b"not json")
    with pytest.raises(FrameDecodeError):
        codec.decode(b'{"type":"sent","client_msg_id":1}')


def test_sync_state_dedupes_and_moves_positions_separately() -> None:
    state = SyncState(Position(cursor=3), capacity=2)
    assert not state.fresh
    first = message("c", 1)
    assert not state.seen(first)
    state.remember(first)
    assert state.seen(first)
    state.on_received(Commit(4))
    assert (state.received.cursor, state.handed.cursor) == (4, 3)
    assert state.on_handed(Commit(4))
    assert not state.on_handed(Commit(4))
    # Large-group marks only move forward.
    state.on_received(Commit(large=(("g", 9),)))
    state.on_received(Commit(large=(("g", 7),)))
    assert state.received.large_groups == {"g": 9}
    # Memory is bounded: the oldest id is forgotten.
    state.remember(message("c", 2))
    state.remember(message("c", 3))
    assert not state.seen(first)
    assert state.forget_groups_except(set())
    assert state.received.large_groups == {}


def test_commits_merge_keeping_the_later_cursor() -> None:
    merged = Commit(1, (("a", 1),)).merged(Commit(2, (("b", 2),)))
    assert merged == Commit(2, (("a", 1), ("b", 2)))
    assert Commit(5).merged(Commit()) == Commit(5)


def test_backoff_grows_with_jitter_and_resets() -> None:
    options = SessionOptions(backoff_initial=1.0, backoff_max=8.0, backoff_factor=2.0)
    backoff = Backoff(options, random.Random(7))
    waits = [backoff.next() for _ in range(6)]
    for wait, step in zip(waits, [1, 2, 4, 8, 8, 8], strict=True):
        assert step / 2 <= wait <= step
    backoff.reset()
    assert backoff.next() <= 1.0


def test_websocket_url_from_api_url() -> None:
    assert websocket_url("http://h:8080") == "ws://h:8080/v1/ws"
    assert websocket_url("https://h/chat/") == "wss://h/chat/v1/ws"


def test_json_cursor_store_survives_damage_and_keeps_keys_apart(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "cursor.json"
    alice = JsonFileCursorStore(path, "alice", durable=False)
    assert alice.load() == Position()
    alice.save(Position(4, {"g": 2}))
    JsonFileCursorStore(path, "bob").save(Position(9))
    assert alice.load() == Position(4, {"g": 2})
    assert JsonFileCursorStore(path, "bob").load().cursor == 9
    assert [p.name for p in path.parent.iterdir()] == ["cursor.json"]  # no temp left
    path.write_text("{ torn")
    assert alice.load() == Position()
    memory = MemoryCursorStore()
    position = Position(1)
    memory.save(position)
    position.cursor = 2
    assert memory.load().cursor == 1  # stores a copy


async def test_event_buffer_is_bounded_and_drains_after_close() -> None:
    buffer: EventBuffer[int] = EventBuffer(2)
    assert buffer.offer(1) and buffer.offer(2)
    assert not buffer.offer(3)
    buffer.close()
    assert [await buffer.take(), await buffer.take(), await buffer.take()] == [1, 2, None]


async def test_outbox_waits_for_room_and_fails_everything_on_close() -> None:
    outbox = Outbox(1)
    first = await outbox.add("a", b"A")
    waiting = asyncio.create_task(outbox.add("b", b"B"))
    await asyncio.sleep(0)
    assert not waiting.done() and outbox.frames() == [b"A"]
    assert outbox.acknowledge(Ack("a", "c", 1, "now"))
    assert (await first).message_id == 1
    second = await waiting
    assert outbox.frames() == [b"B"]
    assert not outbox.acknowledge(Ack("a", "c", 1, "now"))  # a repeated ack is ignored
    outbox.fail_all(SessionClosed())
    with pytest.raises(SessionClosed):
        await second
    with pytest.raises(SessionClosed):
        await outbox.add("c", b"C")
