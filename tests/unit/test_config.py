"""Settings: defaults, CHINWAG_* variables, flags; bad values refused."""

from __future__ import annotations

import pytest

from chinwag.config import Settings, from_sources


def test_defaults() -> None:
    s = from_sources(env={})
    assert (s.host, s.port, s.data_dir, s.role) == ("127.0.0.1", 8080, "./var", "all")
    assert s.heartbeat_interval == 5.0 and s.presence_timeout == 30.0 and s.small_group_limit == 100
    assert s.max_text_chars == 100_000 and s.max_frame_bytes == 1 << 20


def test_env_then_flags() -> None:
    env = {
        "CHINWAG_PORT": "9000",
        "CHINWAG_HEARTBEAT_INTERVAL": "2.5",
        "CHINWAG_PUSH_INCLUDE_TEXT": "true",
    }
    s = from_sources(env=env)
    assert s.port == 9000 and s.heartbeat_interval == 2.5 and s.push_include_text is True
    s = from_sources(env=env, port=9100, heartbeat_interval=None)
    assert s.port == 9100 and s.heartbeat_interval == 2.5


def test_every_field_has_an_env_name_and_help() -> None:
    import dataclasses

    for f in dataclasses.fields(Settings):
        assert f.metadata.get("help"), f.name


@pytest.mark.parametrize(
    "env",
    [
        {"CHINWAG_ROLE": "janitor"},
        {"CHINWAG_STORE": "mysql://x"},
        {"CHINWAG_ROLE": "gateway"},  # SQLite serves one process
        {"CHINWAG_SMALL_GROUP_LIMIT": "1"},
        {"CHINWAG_STORE_REPLICA": "postgres://replica/db"},  # a replica of SQLite?
        {"CHINWAG_STORE": "postgres://db/x", "CHINWAG_STORE_REPLICA": "mysql://replica/x"},
    ],
)
def test_bad_settings_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        from_sources(env=env)
