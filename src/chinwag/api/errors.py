"""ChinwagError (and everything else) to HTTP, in one place.

Clients get `{"error": {"code", "message"}}` with the contract's status; a bug becomes
`internal` with its details in the log only.
"""

from __future__ import annotations

import logging
import math

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from chinwag.errors import ChinwagError, Code
from chinwag.protocol.codec import encode_obj

log = logging.getLogger("chinwag.api")

_STATUS_CODES = {
    400: Code.INVALID_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.INVALID_REQUEST,
    409: Code.CONFLICT,
    413: Code.TOO_LARGE,
    429: Code.RATE_LIMITED,
    503: Code.UNAVAILABLE,
}


def error_response(
    code: Code, message: str, status: int, retry_after: float | None = None
) -> Response:
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    body = encode_obj({"error": {"code": code.value, "message": message}})
    return Response(body, status, headers=headers, media_type="application/json")


async def chinwag_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChinwagError)
    if exc.code == Code.INTERNAL:
        log.error("internal error on %s", request.url.path, exc_info=exc)
    return error_response(exc.code, exc.message, exc.http_status, exc.retry_after)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, Code.INVALID_REQUEST)
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return error_response(code, message, exc.status_code)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away (or was cut off) before its body arrived: nothing to
    answer and nothing wrong here. 499 is only ever seen in logs and metrics."""
    log.info("client went away mid-request on %s %s", request.method, request.url.path)
    return Response(status_code=499)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(Code.INTERNAL, "internal error", 500)


HANDLERS = {
    ChinwagError: chinwag_error,
    HTTPException: http_error,
    ClientDisconnect: client_gone,
    Exception: unexpected_error,
}
