"""The payload every push provider carries, and how it is kept within provider limits.

Guarantees: a `Notification` is immutable; `merged` sums counts so a collapsed burst says
how many messages it stands for; `fit` returns a notification whose encoding is within a
byte budget, shortening the text first and the sender name only if that is not enough, and
never touching ids or the count.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ELLIPSIS = "\u2026"


@dataclass(frozen=True, slots=True)
class Notification:
    """What a device is told about messages it missed in one channel.

    `text` is the newest message's text, present only when the operator enables it
    (`push_include_text`); the worker strips it otherwise, so senders never see it.
    """

    channel_id: str
    sender_id: str
    sender_name: str
    count: int = 1
    text: str | None = None
    media: str | None = None  # "photo" or "file": the newest message carried some

    def merged(self, newer: Notification) -> Notification:
        """One notification for both: the newer sender and text, the summed count."""
        return dataclasses.replace(newer, count=self.count + newer.count)

    def without_text(self) -> Notification:
        return self if self.text is None else dataclasses.replace(self, text=None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "channel_id": self.channel_id,
            "sender_id": self.sender_id,
            "sender_name": self.sender_name,
            "count": self.count,
        }
        if self.text is not None:
            out["text"] = self.text
        if self.media is not None:
            out["media"] = self.media
        return out

    def summary(self) -> str:
        """A human line for providers that show an alert (FCM, APNs)."""
        if self.text is not None:
            return self.text
        if self.media is not None and self.count == 1:
            return f"sent a {self.media}"
        return "1 new message" if self.count == 1 else f"{self.count} new messages"


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON: providers count bytes, and escapes would waste them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _longest(value: str, fits: Callable[[str], bool]) -> str:
    """The longest prefix of `value` (with an ellipsis if cut) for which `fits` holds.

    Binary search on code points: a few encodings even for a 100,000-character text.
    """
    if fits(value):
        return value
    lo, hi = 0, len(value) - 1  # lo: longest cut known to fit (0 means none may fit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(value[:mid] + ELLIPSIS):
            lo = mid
        else:
            hi = mid - 1
    return value[:lo] + ELLIPSIS if lo else ""


def fit(note: Notification, size: Callable[[Notification], int], budget: int) -> Notification:
    """Shorten `note` until `size(note) <= budget`; raise ValueError if even ids do not fit."""
    if note.text and size(note) > budget:
        note = dataclasses.replace(
            note,
            text=_longest(note.text, lambda t: size(dataclasses.replace(note, text=t)) <= budget),
        )
    if note.sender_name and size(note) > budget:
        note = dataclasses.replace(
            note,
            sender_name=_longest(
                note.sender_name,
                lambda n: size(dataclasses.replace(note, sender_name=n)) <= budget,
            ),
        )
    if size(note) > budget:
        raise ValueError(f"notification needs {size(note) - budget} bytes more than {budget}")
    return note
