"""Push requests reach public addresses only (no SSRF through a subscription).

A URL's host is never judged by how it is spelled: `2130706433`, `0x7f.1`, `127.1`,
`localhost.` and `[::ffff:7f00:1]` are all loopback. The host is resolved and every
address it resolves to must be permitted, once when a subscription is registered and
again for every connection a sender opens (a name may resolve elsewhere by then: DNS
rebinding), which then goes to one of exactly the addresses that were checked.

Permitted: globally routable unicast addresses (IPv6 forms that embed an IPv4 address,
such as mapped, 6to4, NAT64 and Teredo, are judged by that address), plus the networks
an operator lists in `push_allowed_networks` (an on-prem relay), or anything with
`push_allow_private_urls` (tests). The same rule holds for every sender (Web Push, FCM,
APNs, webhooks), including the provider URLs an operator configures.

Redirects are never followed (push/httputil.py), so a permitted server cannot hand the
request on to a private one either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from chinwag.edge import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to, as strings. Tests inject their own.
Resolver = Callable[[str, int], Awaitable[list[str]]]

RESOLVE_TIMEOUT = 5.0
# Special-use names (RFC 2606, 6761, 6762, 8375, and ICANN's .internal): never public,
# so refused without asking DNS when only public addresses are permitted.
_LOCAL_SUFFIXES = (
    "localhost", "local", "internal", "test", "example", "invalid", "onion", "home.arpa",
)  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(Exception):
    """The host resolves to an address that is not permitted; `str()` says which."""


class Unresolved(Exception):
    """The host does not resolve; `temporary` when asking again later may help."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: Address) -> bool:
    """Globally routable unicast, judged by any IPv4 address an IPv6 one carries."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return is_public(inner)
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    allow_private: bool = False
    allowed: tuple[Network, ...] = ()

    @property
    def public_only(self) -> bool:
        return not self.allow_private and not self.allowed

    def permits(self, address: str) -> bool:
        if self.allow_private:
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if is_public(ip):
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.allowed)


class AddressGuard:
    """Resolves hosts and checks every address against the policy."""

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        resolver: Resolver = system_resolver,
        *,
        timeout: float = RESOLVE_TIMEOUT,
    ) -> None:
        self.policy = policy or AddressPolicy()
        self._resolve = resolver
        self._timeout = timeout

    async def addresses(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, all permitted; else Refused or Unresolved."""
        name = host.strip("[]").rstrip(".").lower()
        if self.policy.public_only and (
            name in _LOCAL_SUFFIXES or name.endswith(tuple("." + s for s in _LOCAL_SUFFIXES))
        ):
            raise Refused(f"{host} is a local name")
        try:
            found = await asyncio.wait_for(self._resolve(name, port), self._timeout)
        except TimeoutError:
            raise Unresolved(f"{host} did not resolve in time", temporary=True) from None
        except socket.gaierror as exc:
            temporary = exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", -11))
            raise Unresolved(f"{host} does not resolve", temporary=temporary) from None
        except (OSError, UnicodeError, ValueError):
            raise Unresolved(f"{host} does not resolve", temporary=False) from None
        if not found:
            raise Unresolved(f"{host} does not resolve", temporary=False)
        bad = [a for a in found if not self.policy.permits(a)]
        if bad:
            raise Refused(f"{host} resolves to a non-public address ({bad[0]})")
        return found

    async def check_url(self, url: str) -> None:
        """Refused or Unresolved unless every address of the URL's host is permitted."""
        try:
            parsed = httpx.URL(url)
            host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
        except (httpx.InvalidURL, ValueError):
            raise Unresolved(f"{url!r} has no valid host", temporary=False) from None
        await self.addresses(host, port)


class RefusedConnect(httpcore.ConnectError):
    """A connection the guard would not open."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the guard checked, and
    by address (TLS still verifies the certificate against the URL's host name)."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._guard.addresses(host, port)
        except Refused as exc:
            raise RefusedConnect(str(exc)) from None
        except Unresolved as exc:
            raise httpcore.ConnectError(str(exc)) from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedConnect("push never connects to local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def refused(exc: BaseException) -> bool:
    """Whether an httpx error comes from the guard refusing the connection."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore's error once or twice
        if seen is None:
            return False
        if isinstance(seen, RefusedConnect):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
