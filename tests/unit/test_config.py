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
        {"CHINWAG_WAL_LIMIT_MB": "0"},
        {"CHINWAG_STORE_REPLICA": "postgres://replica/db"},  # a replica of SQLite?
        {"CHINWAG_STORE": "postgres://db/x", "CHINWAG_STORE_REPLICA": "mysql://replica/x"},
    ],
)
def test_bad_settings_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        from_sources(env=env)


PG = {"CHINWAG_STORE": "postgresql://db/chinwag", "CHINWAG_NATS": "nats://n:4222"}


@pytest.mark.parametrize(
    "env",
    [
        # A cluster gateway on every address, with no URL to hand out.
        {**PG, "CHINWAG_ROLE": "gateway", "CHINWAG_HOST": "0.0.0.0"},
        {**PG, "CHINWAG_ROLE": "all", "CHINWAG_HOST": "::"},
        {**PG, "CHINWAG_PUBLIC_URL": "http://gw-1.example.com/v1/ws"},
        {**PG, "CHINWAG_REGISTRY": "zookeeper://"},
        {**PG, "CHINWAG_REGISTRY": "zookeeper://zk-1:two/chinwag"},
        {**PG, "CHINWAG_REGISTRY": "etcd://e:2379"},
        {"CHINWAG_STORE": PG["CHINWAG_STORE"], "CHINWAG_REGISTRY": "zookeeper://zk:2181/c"},
    ],
)
def test_bad_cluster_addressing_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        from_sources(env=env)


@pytest.mark.parametrize(
    "env",
    [
        {**PG, "CHINWAG_ROLE": "api", "CHINWAG_HOST": "0.0.0.0"},  # no gateway here
        {**PG, "CHINWAG_HOST": "0.0.0.0", "CHINWAG_PUBLIC_URL": "wss://gw-1.example.com/v1/ws"},
        {"CHINWAG_HOST": "0.0.0.0"},  # one process answers discovery for itself
        {**PG, "CHINWAG_REGISTRY": "zookeeper://zk-1:2181,zk-2:2181,zk-3:2181/chinwag"},
    ],
)
def test_good_cluster_addressing_accepted(env: dict[str, str]) -> None:
    from_sources(env=env)


def test_addresses() -> None:
    from chinwag.discovery.address import bound_url, is_wildcard, parse_zookeeper_url

    assert bound_url("127.0.0.1", 9001) == "ws://127.0.0.1:9001/v1/ws"
    assert bound_url("::1", 9001) == "ws://[::1]:9001/v1/ws"
    assert [is_wildcard(h) for h in ("0.0.0.0", "::", "[::]", "", "10.0.0.5")] == [
        True,
        True,
        True,
        True,
        False,
    ]
    zk = parse_zookeeper_url("zookeeper://a:2181,b:2181/x/y/", "/chinwag")
    assert (zk.hosts, zk.root) == ("a:2181,b:2181", "/x/y")
    assert parse_zookeeper_url("zookeeper://a:2181", "/chinwag").root == "/chinwag"
