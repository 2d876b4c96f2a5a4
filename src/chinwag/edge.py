"""What the HTTP server enforces and believes before a request reaches a route.

Pure values and functions; the HTTP protocol (gateway/upgrade.py) applies them to each
connection:

* request headers (request line included) must fit in `max_header_bytes` and arrive
  within `header_timeout` seconds; a request body must arrive whole within
  `body_timeout` seconds of its headers. Past either limit the client gets one plain
  answer (431 or 408) and the connection closes.
* `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the addresses and
  networks listed in `trusted_proxies`; from anyone else they are ignored, so a client
  cannot pick the address that per-address limits count it under.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from chinwag.protocol.codec import encode_obj

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks; ValueError names a bad entry."""
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {item!r}") from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    def trusts(self, peer: str) -> bool:
        ip = _address(peer)
        return ip is not None and any(ip in net for net in self.networks)

    def client_of(self, peer: str, forwarded_for: Iterable[bytes]) -> str:
        """The client's address as the trusted chain reports it: the right-most entry of
        `X-Forwarded-For` not itself a trusted proxy (entries left of it could be
        written by anyone). `peer` when it is not trusted or the header says nothing
        usable."""
        if not self.trusts(peer):
            return peer
        hops = [h.strip() for v in forwarded_for for h in v.decode("latin-1").split(",")]
        for hop in reversed(hops):
            ip = _address(hop)
            if ip is None:
                return peer  # garbage where an address should be: believe nothing
            if not any(ip in net for net in self.networks):
                return str(ip)
        return str(_address(hops[0])) if hops and hops[0] else peer


@dataclass(frozen=True, slots=True)
class Edge:
    header_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    body_timeout: float = 30.0
    proxies: TrustedProxies = field(default_factory=TrustedProxies)


def plain_answer(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response that ends the connection, for refusals made below the
    application (it never sees these requests)."""
    body = encode_obj({"error": {"code": code, "message": message}})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
_WEB_SCHEME = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def _authority(scheme: str, hostport: str) -> str:
    """host[:port] lowercased, without the scheme's default port."""
    hostport = hostport.strip().lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default and hostport.endswith(":" + default) and not hostport.endswith("]"):
        hostport = hostport[: -len(default) - 1]
    return hostport


def _origin_of(url: str) -> tuple[str, str] | None:
    """(web scheme, authority) of an origin or URL; None if it has neither."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _WEB_SCHEME:
        return None
    hostport = rest.split("/", 1)[0]
    if not hostport or "@" in hostport:
        return None
    return _WEB_SCHEME[scheme], _authority(scheme, hostport)


@dataclass(frozen=True, slots=True)
class Origins:
    """Which web pages may open a WebSocket here (cross-site WebSocket hijacking: a page
    elsewhere must not ride on a user's cookies or open sessions). Browsers always send
    `Origin`; a client that sends none is not a browser and is not subject to this.

    By default only the server's own origin: the one the request's `Host` names, or the
    one `public_url` names (behind a proxy that rewrites Host). `allowed_origins` adds
    others; `*` among them allows any."""

    allowed: frozenset[tuple[str, str]] = frozenset()
    public: tuple[str, str] | None = None
    any: bool = False

    @classmethod
    def parse(cls, allowed_origins: str, public_url: str = "") -> Origins:
        items = [o.strip() for o in allowed_origins.split(",") if o.strip()]
        allowed = frozenset(o for o in (_origin_of(i) for i in items) if o is not None)
        return cls(allowed, _origin_of(public_url) if public_url else None, "*" in items)

    def permits(self, origin: str | None, host: str | None) -> bool:
        if origin is None or self.any:
            return True
        seen = _origin_of(origin)
        if seen is None:  # "null" (sandboxed pages, files) or garbage: never ours
            return False
        if seen in self.allowed or seen == self.public:
            return True
        return host is not None and seen[1] == _authority(seen[0], host)
