"""Which texts mention a user, for pushes of muted channels."""

from __future__ import annotations

import pytest

from chinwag.errors import ChinwagError
from chinwag.safety.mutes import mentions, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @bob", True),
        ("@BOB: look", True),
        ("(@bob)", True),
        ("hi bob", False),
        ("hi @bobby", False),
        ("mail bob@bob.org", False),
        ("@bob.smith", False),
        ("@bob.", True),
        ("", False),
    ],
)
def test_mentions(text: str, expected: bool) -> None:
    assert mentions(text, "bob") is expected


def test_parse_time() -> None:
    assert parse_time("1970-01-01T00:00:01Z") == 1000
    assert parse_time("1970-01-01T01:00:01+01:00") == 1000
    with pytest.raises(ChinwagError):
        parse_time("1970-01-01T00:00:01")
