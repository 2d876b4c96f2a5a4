"""HTTP plumbing shared by the senders: one client setup and one network-error policy.

Guarantees: every connection goes through the address guard (push/guard.py): only to
permitted addresses, checked as it opens; `post` never raises for network failures
(they become `Retry`, or `Failed` when the guard refused the address); redirects are
never followed, because a provider that redirects a push is misconfigured and a webhook
that redirects could point the server at an internal address. Proxy settings from the
environment are not used: a proxy would resolve names the guard could not check.
"""

from __future__ import annotations

import ssl

import httpcore
import httpx

from chinwag.push.guard import AddressGuard, GuardedBackend, refused
from chinwag.push.result import Failed, Retry

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool whose every connection the guard opens."""

    def __init__(self, guard: AddressGuard, *, http2: bool, verify: ssl.SSLContext | bool):
        super().__init__(verify=verify, http2=http2, limits=LIMITS, trust_env=False)
        # httpx gives no way to name the pool's network backend, so the pool it built is
        # replaced by the same one on the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(guard),
        )


def new_client(
    guard: AddressGuard | None = None,
    *,
    http2: bool = False,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """A client for push requests; without a guard, only public addresses are reached."""
    transport = GuardedTransport(guard or AddressGuard(), http2=http2, verify=verify)
    return httpx.AsyncClient(
        transport=transport, timeout=TIMEOUT, follow_redirects=False, trust_env=False
    )


def http_url_error(url: str) -> str | None:
    """Why `url` cannot be posted to, or None when it is an absolute http(s) URL."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError) as exc:  # ValueError: bad IDNA labels
        return f"invalid URL: {exc}"
    if parsed.scheme not in ("http", "https") or not host:
        return "URL must be absolute http(s)"
    return None


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response | Retry | Failed:
    """POST, mapping connection errors and timeouts to Retry, and a connection the
    guard refused to Failed (the sender decides what that means for the subscription)."""
    try:
        return await client.post(url, content=content, data=data, headers=headers)
    except httpx.TransportError as exc:
        if refused(exc):
            return Failed(f"refused: {exc}")
        return Retry(reason=f"{type(exc).__name__}: {exc}".strip())


def excerpt(response: httpx.Response) -> str:
    """The start of a response body, for a log line."""
    return f"HTTP {response.status_code}: {response.text[:200]}"
