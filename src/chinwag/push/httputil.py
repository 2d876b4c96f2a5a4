"""HTTP plumbing shared by the senders: one client setup and one network-error policy.

Guarantees: `post` never raises for network failures (they become `Retry`); redirects are
never followed, because a provider that redirects a push is misconfigured and a webhook
that redirects could point the server at an internal address.
"""

from __future__ import annotations

import ssl

import httpx

from chinwag.push.result import Retry

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def new_client(*, http2: bool = False, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        follow_redirects=False,
        http2=http2,
        verify=verify,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


def http_url_error(url: str) -> str | None:
    """Why `url` cannot be posted to, or None when it is an absolute http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"invalid URL: {exc}"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "URL must be absolute http(s)"
    return None


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response | Retry:
    """POST, mapping connection errors and timeouts to Retry."""
    try:
        return await client.post(url, content=content, data=data, headers=headers)
    except httpx.TransportError as exc:
        return Retry(reason=f"{type(exc).__name__}: {exc}".strip())


def excerpt(response: httpx.Response) -> str:
    """The start of a response body, for a log line."""
    return f"HTTP {response.status_code}: {response.text[:200]}"
