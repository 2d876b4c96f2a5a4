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
