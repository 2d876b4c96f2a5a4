"""Tracks which users are online on this process and reports transitions.

Heartbeats are not pushed here: each socket keeps its own `last_seen`, and the tracker
reads it only when a user's deadline comes due (a heap of deadlines), so a frame costs
one attribute write and a tick costs only the users whose deadline passed.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chinwag.presence.policy import Timings, is_online, next_deadline


class Heartbeating(Protocol):
    last_seen: float


Transition = Callable[[str, bool], None]


@dataclass
class _UserState:
    sockets: set[Heartbeating] = field(default_factory=set)
    closed_at: float | None = None
    # Last heartbeat of a socket that dropped uncleanly, counted until the timeout.
    dropped_hb: float | None = None
    online: bool = False


class PresenceTracker:
    def __init__(self, timings: Timings, on_change: Transition) -> None:
        self.timings = timings
        self._on_change = on_change
        self._users: dict[str, _UserState] = {}
        self._heap: list[tuple[float, str]] = []

    def is_online(self, user_id: str) -> bool:
        state = self._users.get(user_id)
        return state is not None and state.online

    def online_users(self) -> list[str]:
        return [u for u, s in self._users.items() if s.online]

    def connected(self, user_id: str, sock: Heartbeating, now: float) -> None:
        state = self._users.setdefault(user_id, _UserState())
        state.sockets.add(sock)
        state.closed_at = None
        state.dropped_hb = None
        if not state.online:
            state.online = True
            self._on_change(user_id, True)
        heapq.heappush(self._heap, (now + self.timings.timeout, user_id))

    def disconnected(self, user_id: str, sock: Heartbeating, now: float, *, clean: bool) -> None:
        state = self._users.get(user_id)
        if state is None:
            return
        state.sockets.discard(sock)
        if not state.sockets:
            if clean:
                state.closed_at = now
                heapq.heappush(self._heap, (now + self.timings.grace, user_id))
            else:
                # An unclean drop counts from the last heartbeat: the timeout applies.
                last = sock.last_seen
                state.closed_at = None
                if now - last >= self.timings.timeout:
                    self._set_offline(user_id, state)
                else:
                    state.dropped_hb = last
                    heapq.heappush(self._heap, (last + self.timings.timeout, user_id))

    def tick(self, now: float) -> None:
        """Evaluate every user whose deadline has passed."""
        while self._heap and self._heap[0][0] <= now:
            _, user_id = heapq.heappop(self._heap)
            state = self._users.get(user_id)
            if state is None or not state.online:
                continue
            beats = [s.last_seen for s in state.sockets]
            if state.dropped_hb is not None and not state.sockets:
                beats.append(state.dropped_hb)
            if is_online(beats, state.closed_at, now, self.timings):
                deadline = next_deadline(beats, state.closed_at, self.timings)
                if deadline is not None:
                    heapq.heappush(self._heap, (max(deadline, now + 0.001), user_id))
            else:
                self._set_offline(user_id, state)

    def _set_offline(self, user_id: str, state: _UserState) -> None:
        state.online = False
        if not state.sockets:
            del self._users[user_id]
        self._on_change(user_id, False)
