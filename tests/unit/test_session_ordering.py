"""Order, gaps, replay and backpressure of one device's session, with no socket: the
orderings that otherwise need several processes and a lossy bus to provoke."""

from __future__ import annotations

import dataclasses

from chinwag.errors import Code, rate_limited
from chinwag.gateway import actions as act
from chinwag.messaging.models import Stored
from chinwag.protocol.frames import Send
from chinwag.protocol.session import CloseCode
from tests.unit.session_driver import CONFIG, Driver, entry, large, live, message


def test_live_entries_out_of_order_go_out_in_seq_order() -> None:
    d = Driver()
    d.live_session(head=10)
    d.session.deliver(live(12), 12)  # committed second, published first
    d.session.deliver(live(13), 13)
    assert d.frames() == []
    assert d.take() == [act.SetTimer(act.Timer.GAP, CONFIG.gap_wait)]
    d.session.deliver(live(11), 11)
    assert d.cursors() == [11, 12, 13]
    d.session.deliver(live(12), 12)  # a duplicate
    assert d.frames() == []
    d.session.timer_fired(act.Timer.GAP)  # the gap closed by itself: nothing to read
    assert d.take() == []


def test_gap_repaired_from_storage_after_the_wait() -> None:
    d = Driver()
    d.live_session(head=10)
    d.session.deliver(live(11), 11)
    d.session.deliver(live(14), 14)  # 12 and 13 were dropped by the bus
    assert d.cursors() == [11]
    d.take()
    d.session.timer_fired(act.Timer.GAP)
    (read,) = d.take()
    assert read == act.ReadInbox(after=11, limit=2, repair=True)
    d.session.deliver(live(15), 15)  # meanwhile: held too, and the timer is armed again
    assert d.take() == [act.SetTimer(act.Timer.GAP, CONFIG.gap_wait)]
    d.session.inbox_read(read, [entry(12), entry(13)])
    assert d.cursors() == [12, 13, 14, 15]
    d.session.timer_fired(act.Timer.GAP)
    assert d.take() == []  # nothing left waiting


def test_a_repair_that_comes_back_short_waits_again() -> None:
    d = Driver()
    d.live_session(head=0)
    d.session.deliver(live(3), 3)
    d.take()
    d.session.timer_fired(act.Timer.GAP)
    (read,) = d.take()
    d.session.timer_fired(act.Timer.GAP)  # not armed: no second read while one runs
    assert d.take() == []
    d.session.inbox_read(read, [entry(1)])  # 2 not visible yet
    assert d.cursors() == [1]
    assert d.take() == [act.SetTimer(act.Timer.GAP, CONFIG.gap_wait)]


def test_live_frames_during_replay_are_held_then_released_in_order() -> None:
    d = Driver()
    d.hello(cursor=2)
    d.take()
    d.session.deliver(live(6), 6)  # registered before the head was read
    d.welcome(head=5)
    assert d.types() == ["welcome"]
    (read,) = d.take()
    assert read == act.ReadInbox(after=2, limit=CONFIG.replay_batch, repair=False)
    d.session.deliver(live(8), 8)
    d.session.deliver(live(4), 4)  # also replayed: must not go out twice
    d.session.deliver(b'{"type":"presence","user_id":"u2","online":true}', 0)
    assert d.types() == ["presence"]  # frames without a cursor are not held
    d.session.inbox_read(read, [entry(3), entry(4), entry(5)])
    assert d.cursors() == [3, 4, 5]
    assert d.take() == [act.Flush()]
    d.session.deliver(live(7), 7)
    d.session.flushed()
    frames = d.frames()
    assert [f["type"] for f in frames] == ["synced", "message", "message", "message"]
    assert frames[0]["cursor"] == 5
    assert [f["cursor"] for f in frames[1:]] == [6, 7, 8]


def test_replay_in_batches_waits_for_the_socket_to_drain() -> None:
    d = Driver(dataclasses.replace(CONFIG, replay_batch=2))
    d.hello(cursor=0)
    d.welcome(head=4)
    d.frames()
    (read,) = d.only(act.ReadInbox)
    d.session.inbox_read(read, [entry(1), entry(2)])
    d.session.write_paused()  # while the batch is flushed: a replay waits, no close
    assert d.take() == [act.Flush()]
    d.session.flushed()
    assert d.take() == [act.SetTimer(act.Timer.DRAIN, CONFIG.drain_wait)]
    d.session.write_resumed()
    acts = d.take()
    assert acts == [act.CancelTimer(act.Timer.DRAIN), act.ReadInbox(2, 2, False)]
    d.session.inbox_read(acts[1], [entry(3), entry(4)])
    d.session.flushed()
    assert d.types() == ["message"] * 4 + ["synced"]


def test_replay_that_never_drains_closes_4009() -> None:
    d = Driver()
    d.hello(cursor=0)
    d.welcome(head=1)
    (read,) = d.only(act.ReadInbox)
    d.session.inbox_read(read, [entry(1)])
    d.session.write_paused()
    d.session.flushed()
    d.take()
    d.session.timer_fired(act.Timer.DRAIN)
    assert [a.code for a in d.only(act.Close)] == [CloseCode.TOO_SLOW]


def test_backlog_past_the_limit_is_reset_and_live_frames_follow() -> None:
    d = Driver(dataclasses.replace(CONFIG, sync_backlog_limit=10))
    d.hello(cursor=1)
    d.session.deliver(live(40), 40)  # at or before the head: the reset covers it
    d.session.deliver(live(51), 51)
    d.welcome(head=50)
    frames = d.frames()
    assert [f["type"] for f in frames] == ["welcome", "reset", "message"]
    assert frames[1]["cursor"] == 50 and frames[2]["cursor"] == 51
    assert not d.only(act.ReadInbox)


def test_cursor_from_the_future_is_reset() -> None:
    d = Driver()
    d.live_session(head=3)
    d.text({"type": "sync", "cursor": 9})
    assert act.ReadHead() in d.take()
    d.session.head_read(3)
    assert [(f["type"], f["cursor"]) for f in d.frames()] == [("reset", 3)]


def test_a_sync_while_one_runs_is_an_error() -> None:
    d = Driver()
    d.live_session(head=3)
    d.text({"type": "sync", "cursor": 0})
    d.text({"type": "sync", "cursor": 0})
    (err,) = d.frames()
    assert err["message"] == "a sync is already in progress"


def test_frames_pipelined_behind_hello_are_handled_after_the_replay() -> None:
    d = Driver()
    d.hello(cursor=0)
    d.text({"type": "ping"})
    d.welcome(head=1)
    (read,) = d.only(act.ReadInbox)
    d.session.inbox_read(read, [entry(1)])
    d.session.flushed()
    assert d.types() == ["welcome", "message", "synced", "pong"]


def test_held_frames_past_the_byte_bound_close_4009() -> None:
    d = Driver(dataclasses.replace(CONFIG, send_buffer_bytes=1000))
    d.hello(cursor=0)
    d.welcome(head=100)
    d.take()
    seq = 101
    while not d.only(act.Close):
        d.session.deliver(live(seq), seq)
        seq += 1
    assert seq < 110


def test_too_far_ahead_of_a_gap_closes_4009() -> None:
    d = Driver(dataclasses.replace(CONFIG, max_ahead=3))
    d.live_session(head=0)
    for seq in range(2, 6):
        d.session.deliver(live(seq), seq)
    (close,) = d.only(act.Close)
    assert close == act.Close(CloseCode.TOO_SLOW, "too far behind; reconnect and sync")


def test_storage_failure_during_replay_closes_1001() -> None:
    d = Driver()
    d.hello(cursor=0)
    d.welcome(head=5)
    d.take()
    d.session.storage_failed()
    assert [a.code for a in d.only(act.Close)] == [CloseCode.GOING_AWAY]


def test_large_groups_before_the_welcome_then_in_id_order_with_repair() -> None:
    d = Driver()
    d.hello()
    d.take()
    d.session.deliver_large("g1", large(6, "g1"), 6)  # before the welcome
    d.session.deliver_large("g1", large(5, "g1"), 5)
    d.welcome(head=0, groups=[("g1", 4)])
    ids = [f["message"]["message_id"] for f in d.frames() if f["type"] == "message"]
    assert ids == [5, 6]
    d.session.deliver_large("g1", large(9, "g1"), 9)
    assert d.take() == [act.SetTimer(act.Timer.GROUPS, CONFIG.gap_wait)]
    d.session.timer_fired(act.Timer.GROUPS)
    (read,) = d.take()
    assert read == act.ReadHistory("g1", after=6, upto=8, limit=2)
    d.session.history_read(read, [message(7, "g1"), message(8, "g1")])
    assert [f["message"]["message_id"] for f in d.frames()] == [7, 8, 9]


def test_large_group_gap_with_nothing_stored_gives_up() -> None:
    d = Driver()
    d.live_session()
    d.session.deliver_large("g2", large(3, "g2"), 3)  # joined after the welcome
    d.session.deliver_large("g2", large(5, "g2"), 5)
    d.take()
    d.session.timer_fired(act.Timer.GROUPS)
    (read,) = d.take()
    d.session.history_read(read, [])
    assert [f["message"]["message_id"] for f in d.frames()] == [3, 5]
    assert d.take() == []


def test_in_flight_limit_pauses_then_resumes_reading() -> None:
    d = Driver(dataclasses.replace(CONFIG, max_inflight=4))
    d.live_session()
    sends: list[Send] = []
    for i in range(4):
        d.text({"type": "send", "channel_id": "c1", "client_msg_id": f"m{i}", "text": "hi"})
        acts = d.take()
        sends += [a.frame for a in acts if isinstance(a, act.Submit)]
        assert (act.PauseReading() in acts) == (i == 3)
    d.session.sent(sends[0], Stored(message(1), {"u1": 1}, ()))
    d.session.sent(sends[1], rate_limited(2.0))
    assert d.take() == []  # 2 in flight: not yet under half
    d.session.sent(sends[2], Stored(message(3), {"u1": 3}, ()))
    assert d.take() == [act.ResumeReading()]
    frames = d.frames()
    assert [f["type"] for f in frames] == ["sent", "error", "sent"]
    assert frames[1]["code"] == Code.RATE_LIMITED.value and frames[1]["ref"] == "m1"
