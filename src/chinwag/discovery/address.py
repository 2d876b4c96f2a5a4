"""Addresses of discovery: the URL a gateway advertises, and a ZooKeeper registry's URL.

Pure functions, shared by the settings (to refuse a bad combination at start) and by
the registry backends.
"""

from __future__ import annotations

from dataclasses import dataclass

ZOOKEEPER_SCHEME = "zookeeper://"


def is_wildcard(host: str) -> bool:
    """An address that means every interface of the machine."""
    return host.strip("[]") in ("", "*", "0.0.0.0", "::")


def bound_url(host: str, port: int) -> str:
    """The WebSocket URL of a gateway listening on `host:port` (not a wildcard)."""
    host = host.strip("[]")
    return f"ws://[{host}]:{port}/v1/ws" if ":" in host else f"ws://{host}:{port}/v1/ws"


@dataclass(frozen=True, slots=True)
class ZooKeeperAddress:
    hosts: str  # "host:port,host:port", as kazoo takes it
    root: str  # "/chinwag", never ending in "/"


def parse_zookeeper_url(url: str, default_root: str) -> ZooKeeperAddress:
    """`zookeeper://host:2181[,host:2181...][/path]`; without a path, `default_root`."""
    if not url.startswith(ZOOKEEPER_SCHEME):
        raise ValueError(f"a ZooKeeper registry URL starts with {ZOOKEEPER_SCHEME}")
    hosts, _, path = url[len(ZOOKEEPER_SCHEME) :].partition("/")
    ports = [h.rpartition(":")[2] for h in hosts.split(",")] if hosts else [""]
    if not all(p.isdigit() for p in ports):
        raise ValueError("a ZooKeeper registry URL names host:port[,host:port...]")
    path = path.strip("/")
    return ZooKeeperAddress(hosts, "/" + path if path else default_root)
