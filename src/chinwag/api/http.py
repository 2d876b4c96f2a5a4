"""Small helpers every route uses: body parsing, auth, JSON answers, query params."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from chinwag.accounts.models import Device
from chinwag.errors import ChinwagError, Code, invalid, unauthorized
from chinwag.protocol import strings
from chinwag.protocol.codec import encode_obj
from chinwag.services import Services

T = TypeVar("T")


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


async def raw_body(request: Request) -> bytes:
    """The whole body, refused (413) from Content-Length before reading, or as soon as
    it passes `max_body_bytes`. Read once; later calls return the same bytes."""
    cached: bytes | None = getattr(request.state, "raw_body", None)
    if cached is not None:
        return cached
    limit = services(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ChinwagError(Code.TOO_LARGE, f"body is larger than {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ChinwagError(Code.TOO_LARGE, f"body is larger than {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    request.state.raw_body = raw
    return raw


def decode(raw: bytes, model: type[T]) -> T:
    """A body as `model`, or 400: every hostile shape (bad UTF-8, nesting past the
    decoder's depth, numbers out of range, U+0000) is refused here, never a 500."""
    if not raw:
        raise invalid("a JSON body is required")
    if not raw.isascii():
        try:
            raw.decode("utf-8")  # RFC 8259 §8.1: JSON text is UTF-8, all of it
        except UnicodeDecodeError:
            raise invalid("body is not valid UTF-8") from None
    try:
        value = msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        raise invalid(f"invalid body: {exc}") from None
    except (msgspec.DecodeError, ValueError):
        raise invalid("body is not valid JSON") from None
    except RecursionError:
        raise invalid("body is nested too deeply") from None
    if strings.may_hold_nul(raw) and strings.holds_nul(value):
        raise invalid(strings.NUL_REFUSED)
    return value


async def body(request: Request, model: type[T]) -> T:
    return decode(await raw_body(request), model)


async def device(request: Request) -> Device:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("missing bearer token")
    found = await services(request).accounts.authenticate(token.strip())
    request.state.user_id = found.user_id
    return found


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_obj(data), status, headers=headers, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer") from None
    if not 0 <= value < 1 << 53:
        raise invalid(f"{name} is out of range")
    return value


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def raw_json(text: str) -> msgspec.Raw:
    """JSON stored as sent, put into an answer unchanged."""
    return msgspec.Raw(text.encode())
