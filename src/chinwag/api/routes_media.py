"""Uploads and downloads of attachments (docs/protocol.md, "Attachments")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from chinwag import wire
from chinwag.api import http
from chinwag.api.ranges import Unsatisfiable, byte_range, content_disposition, etag_matches
from chinwag.errors import not_found
from chinwag.media.images import THUMBNAIL_TYPE
from chinwag.media.models import Attachment, blob_key, thumbnail_key
from chinwag.media.sniff import is_image

# A file's bytes never change under its id; the cache is the reader's own (the answer
# depends on who asks).
_CACHE = "private, max-age=31536000, immutable"
# Whatever a file holds, opened on its own it can run nothing and load nothing.
_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
THUMBNAIL_MAX = 1 << 20


async def upload(request: Request) -> Response:
    device = await http.device(request)
    media = http.services(request).media
    media.refuse_declared(request.headers.get("content-length"))
    attachment = await media.upload(
        device.user_id, request.query_params.get("filename"), request.stream()
    )
    return http.json(wire.attachment(attachment), 201)


def _headers(etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": _CACHE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": _CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
        "Accept-Ranges": "bytes",
    }


async def download(request: Request) -> Response:
    device = await http.device(request)
    media = http.services(request).media
    a = await media.readable(request.path_params["attachment_id"], device.user_id)
    etag = f'"{a.sha256}"'
    headers = _headers(etag)
    headers["Content-Disposition"] = _disposition(a)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    kind = a.content_type if is_image(a.content_type) else "application/octet-stream"
    span = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == etag:
        try:
            span = byte_range(request.headers.get("range"), a.size)
        except Unsatisfiable:
            headers["Content-Range"] = f"bytes */{a.size}"
            return Response(status_code=416, headers=headers)
    start, end = span if span is not None else (0, a.size)
    headers["Content-Length"] = str(end - start)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{a.size}"
    body = await media.read(blob_key(a.id), start, end)
    return StreamingResponse(body, 206 if span else 200, headers=headers, media_type=kind)


async def thumbnail(request: Request) -> Response:
    device = await http.device(request)
    media = http.services(request).media
    a = await media.readable(request.path_params["attachment_id"], device.user_id)
    if not a.thumbnail:
        raise not_found("this attachment has no thumbnail")
    etag = f'"t-{a.sha256}"'
    headers = _headers(etag)
    headers["Content-Disposition"] = "inline"
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    data = b"".join([c async for c in await media.read(thumbnail_key(a.id), 0, THUMBNAIL_MAX)])
    return Response(data, headers=headers, media_type=THUMBNAIL_TYPE)


def _disposition(a: Attachment) -> str:
    # Only images (by their bytes) are shown in place; anything else (HTML, SVG, ...)
    # is a download, so it can never run as a page of this origin.
    return content_disposition("inline" if is_image(a.content_type) else "attachment", a.name)
