"""Every error the chinwag client raises, in one tree.

    ChinwagClientError             anything this package raises on purpose
    ├── ChinwagApiError            the server refused a request (HTTP error body, or an
    │                              `error` frame answering a `send`); carries its code
    ├── ServerUnreachable          no answer at all: refused, reset, timed out, bad URL
    ├── Unauthorized               the session's token was refused (close code 4001):
    │                              log in again; the session does not reconnect
    ├── ProtocolViolation          the server closed with 4000 (a bug in one of the two
    │                              sides); reconnecting would only repeat it
    └── SessionClosed              the session was closed before the call could finish

Transient trouble on a live session (a server going away, a dropped socket, a gateway
too busy) is never raised: the session reconnects on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The status each stable code has over HTTP (docs/protocol.md, "Errors"), so that an error
# met on the WebSocket carries the same status as its HTTP twin.
STATUS_OF_CODE: Mapping[str, int] = MappingProxyType(
    {
        "invalid_request": 400,
        "unauthorized": 401,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "too_large": 413,
        "rate_limited": 429,
        "unavailable": 503,
        "internal": 500,
    }
)

_CODE_OF_STATUS = MappingProxyType({status: code for code, status in STATUS_OF_CODE.items()})


class ChinwagClientError(Exception):
    """Base of every error raised by `chinwag.client`."""


class ChinwagApiError(ChinwagClientError):
    """The server refused a request.

    `code` is one of the contract's stable codes (`unauthorized`, `not_found`, ...),
    `message` is the server's text, safe to show to a person, `status` the HTTP status
    (for WebSocket errors: the status the same code has over HTTP), and `retry_after`
    the seconds to wait before trying again, when the server said so.
    """

    def __init__(
        self, code: str, message: str, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @classmethod
    def from_status(cls, status: int, message: str) -> ChinwagApiError:
        """For answers without a contract error body (a proxy's 502 page, say)."""
        code = _CODE_OF_STATUS.get(status, "internal" if status >= 500 else "invalid_request")
        return cls(code, message, status)

    def __repr__(self) -> str:
        return f"ChinwagApiError({self.code!r}, {self.message!r}, status={self.status})"


class ServerUnreachable(ChinwagClientError):
    """No HTTP answer from `url`: the connection failed or timed out."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class Unauthorized(ChinwagClientError):
    """The server refused the session's token (revoked, expired or unknown)."""

    def __init__(self, reason: str = "unauthorized") -> None:
        super().__init__(reason)
        self.reason = reason


class ProtocolViolation(ChinwagClientError):
    """The server closed the socket with 4000: it could not accept what was sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason or "protocol error")
        self.reason = reason


class SessionClosed(ChinwagClientError):
    """The session was closed; pending sends may or may not have been stored."""

    def __init__(self) -> None:
        super().__init__("the chat session is closed")
