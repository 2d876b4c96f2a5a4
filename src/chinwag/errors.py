"""The one error type of chinwag, with the stable codes of the wire contract.

Every failure a client may see is a `ChinwagError` carrying a `Code`. The HTTP layer
maps codes to statuses in `api/errors.py`; the gateway maps them to `error` frames and
close codes in `gateway/`. Details for operators go to the log; clients see only the
code and a plain message.
"""

from __future__ import annotations

import enum


class Code(enum.StrEnum):
    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


HTTP_STATUS: dict[Code, int] = {
    Code.INVALID_REQUEST: 400,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.TOO_LARGE: 413,
    Code.RATE_LIMITED: 429,
    Code.UNAVAILABLE: 503,
    Code.INTERNAL: 500,
}


class ChinwagError(Exception):
    """A failure with a stable code. `message` is safe to show to clients."""

    def __init__(self, code: Code, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def __repr__(self) -> str:
        return f"ChinwagError({self.code.value!r}, {self.message!r})"


def invalid(message: str) -> ChinwagError:
    return ChinwagError(Code.INVALID_REQUEST, message)


def unauthorized(message: str = "missing, invalid or revoked credentials") -> ChinwagError:
    return ChinwagError(Code.UNAUTHORIZED, message)


def forbidden(message: str) -> ChinwagError:
    return ChinwagError(Code.FORBIDDEN, message)


def not_found(message: str) -> ChinwagError:
    return ChinwagError(Code.NOT_FOUND, message)


def conflict(message: str) -> ChinwagError:
    return ChinwagError(Code.CONFLICT, message)


def rate_limited(retry_after: float) -> ChinwagError:
    return ChinwagError(Code.RATE_LIMITED, "too many requests", retry_after=retry_after)


def unavailable(message: str = "storage unavailable, retry later") -> ChinwagError:
    return ChinwagError(Code.UNAVAILABLE, message)
