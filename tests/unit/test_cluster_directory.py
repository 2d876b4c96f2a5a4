"""The cluster presence directory with a fake clock: no NATS, no sleeping."""

from __future__ import annotations

from collections import Counter

from chinwag.presence.cluster import Directory
from chinwag.presence.link import Batch, Beat, Snapshot

TIMEOUT = 2.0


def make(self_id: str | None = "g0") -> Directory:
    d = Directory(self_id, TIMEOUT)
    d.ready = True
    return d


def test_online_on_any_gateway_is_online() -> None:
    d = make()
    assert d.local("u1", True) == [("u1", True)]
    assert d.local("u1", True) == []
    flips, need = d.batch("g1", Batch("e1", 1, ["u1", "u2"], []), now=0.0)
    assert flips == [("u2", True)] and not need
    # u1 leaves this gateway but is still on g1: no flip.
    assert d.local("u1", False) == []
    assert d.is_online("u1")
    flips, _ = d.batch("g1", Batch("e1", 2, [], ["u1"]), now=0.1)
    assert flips == [("u1", False)] and not d.is_online("u1")


def test_a_silent_gateway_takes_its_users_offline_within_the_timeout() -> None:
    d = make()
    d.batch("g1", Batch("e1", 1, ["u1", "u2"], []), now=0.0)
    d.local("u2", True)
    d.beat("g1", Beat("e1", 1, True), now=1.0)
    assert d.expire(now=2.9) == []
    assert d.expire(now=3.1) == [("u1", False)]  # u2 is still here
    assert d.is_online("u2") and not d.is_online("u1")
    # While this process was cut off, nobody is expired: everyone counts as just heard.
    d.batch("g2", Batch("e9", 1, ["u3"], []), now=4.0)
    d.touch(now=10.0)
    assert d.expire(now=11.0) == []


def test_a_missed_batch_is_repaired_by_a_snapshot() -> None:
    d = make()
    d.batch("g1", Batch("e1", 1, ["u1"], []), now=0.0)
    flips, need = d.batch("g1", Batch("e1", 3, ["u3"], []), now=0.1)  # 2 was lost
    assert flips == [] and need
    # Later batches wait for the snapshot; asking again is not needed.
    assert d.batch("g1", Batch("e1", 4, [], ["u1"]), now=0.2) == ([], False)
    # The snapshot as of batch 2 (u2 joined), then batches 3 and 4 apply on top.
    flips, need = d.snapshot("g1", Snapshot("e1", 2, ["u1", "u2"]), now=0.3)
    assert sorted(flips) == [("u1", False), ("u2", True), ("u3", True)] and not need
    assert not d.is_online("u1") and d.is_online("u2") and d.is_online("u3")


def test_a_beat_ahead_of_the_batches_asks_for_a_snapshot_once() -> None:
    d = make()
    assert d.beat("g1", Beat("e1", 0, True), now=0.0) == ([], False)
    assert d.beat("g1", Beat("e1", 5, True), now=0.5) == ([], True)
    assert d.beat("g1", Beat("e1", 5, True), now=1.0) == ([], False)
    assert d.stalled(now=1.0, retry=1.0) == []
    assert d.stalled(now=1.6, retry=1.0) == ["g1"]  # the answer never came: ask again
    assert d.stalled(now=1.7, retry=1.0) == []


def test_a_restarted_gateway_starts_afresh() -> None:
    d = make()
    d.batch("g1", Batch("e1", 1, ["u1", "u2"], []), now=0.0)
    flips, need = d.batch("g1", Batch("e2", 1, ["u2"], []), now=1.0)
    assert sorted(flips) == [("u1", False), ("u2", False), ("u2", True)] and not need
    # A snapshot from the previous run is ignored.
    assert d.snapshot("g1", Snapshot("e1", 9, ["u1"]), now=1.1) == ([], False)
    assert not d.is_online("u1")


def test_exactly_one_ready_gateway_owns_each_user() -> None:
    views = {}
    for me in ("g0", "g1", "g2"):
        d = Directory(me, TIMEOUT)
        d.ready = True
        for other in {"g0", "g1", "g2"} - {me}:
            d.beat(other, Beat("e-" + other, 0, True), now=0.0)
        views[me] = d
    users = [f"u{i}" for i in range(3000)]
    owners = [{v.owner(u) for v in views.values()} for u in users]
    assert all(len(o) == 1 for o in owners)  # every process agrees
    spread = Counter(o.pop() for o in owners)
    assert set(spread) == {"g0", "g1", "g2"} and min(spread.values()) > 800
    # A gateway that is not ready takes no share; an api process owns nothing.
    views["g0"].beat("g1", Beat("e-g1", 0, False), now=0.1)
    assert all(views["g0"].owner(u) != "g1" for u in users[:200])
    api = Directory(None, TIMEOUT)
    assert api.owner("u1") is None
