"""The times a mute may be given until."""

from __future__ import annotations

import pytest

from chinwag.errors import ChinwagError
from chinwag.safety.mutes import parse_time


def test_parse_time() -> None:
    assert parse_time("1970-01-01T00:00:01Z") == 1000
    assert parse_time("1970-01-01T01:00:01+01:00") == 1000
    with pytest.raises(ChinwagError):
        parse_time("1970-01-01T00:00:01")
