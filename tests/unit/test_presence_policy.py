"""The presence policy and tracker with a fake clock: no sockets, no sleeping."""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.presence.policy import Timings, is_online, next_deadline
from chinwag.presence.tracker import PresenceTracker

T = Timings(timeout=30.0, grace=3.0)


@dataclass(eq=False)
class Sock:
    last_seen: float


def test_policy() -> None:
    assert is_online([100.0], None, 129.9, T)
    assert not is_online([100.0], None, 130.0, T)
    assert is_online([], 100.0, 102.9, T)
    assert not is_online([], 100.0, 103.0, T)
    assert not is_online([], None, 0.0, T)
    assert next_deadline([100.0, 110.0], None, T) == 140.0
    assert next_deadline([], 50.0, T) == 53.0
    assert next_deadline([], None, T) is None


def make() -> tuple[PresenceTracker, list[tuple[str, bool]]]:
    changes: list[tuple[str, bool]] = []
    return PresenceTracker(T, lambda u, o: changes.append((u, o))), changes


def test_online_on_connect_offline_after_grace() -> None:
    tr, changes = make()
    s = Sock(0.0)
    tr.connected("u", s, 0.0)
    assert changes == [("u", True)] and tr.is_online("u")
    tr.disconnected("u", s, 10.0, clean=True)
    tr.tick(12.9)
    assert tr.is_online("u") and changes == [("u", True)]
    tr.tick(13.0)
    assert changes == [("u", True), ("u", False)] and not tr.is_online("u")


def test_quick_reconnect_does_not_flap() -> None:
    tr, changes = make()
    s1, s2 = Sock(0.0), Sock(1.0)
    tr.connected("u", s1, 0.0)
    tr.disconnected("u", s1, 1.0, clean=True)
    tr.connected("u", s2, 2.0)
    tr.tick(10.0)
    assert changes == [("u", True)]


def test_second_device_keeps_user_online() -> None:
    tr, changes = make()
    s1, s2 = Sock(0.0), Sock(0.0)
    tr.connected("u", s1, 0.0)
    tr.connected("u", s2, 0.0)
    tr.disconnected("u", s1, 1.0, clean=True)
    s2.last_seen = 20.0
    tr.tick(25.0)
    assert changes == [("u", True)]
    tr.tick(49.9)
    assert tr.is_online("u")
    tr.tick(50.0)
    assert changes[-1] == ("u", False)


def test_silent_socket_goes_offline_after_timeout() -> None:
    tr, changes = make()
    s = Sock(0.0)
    tr.connected("u", s, 0.0)
    s.last_seen = 10.0
    tr.tick(30.0)
    assert tr.is_online("u")
    tr.tick(40.0)
    assert changes[-1] == ("u", False)
    # A frame later brings the user back.
    s.last_seen = 41.0
    tr.connected("u", s, 41.0)
    assert changes[-1] == ("u", True)


def test_unclean_drop_counts_from_last_heartbeat() -> None:
    tr, changes = make()
    s = Sock(0.0)
    tr.connected("u", s, 0.0)
    s.last_seen = 5.0
    tr.disconnected("u", s, 6.0, clean=False)
    tr.tick(34.9)
    assert tr.is_online("u")
    tr.tick(35.0)
    assert changes[-1] == ("u", False)
