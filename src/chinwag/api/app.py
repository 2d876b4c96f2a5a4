"""The Starlette application: routes from the table, error handlers, middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import Mount, Route

from chinwag.api.errors import HANDLERS
from chinwag.api.metrics import Metrics
from chinwag.api.middleware import RequestLog
from chinwag.api.openapi import document
from chinwag.api.static import WebFiles, default_web_dir
from chinwag.api.table import ENDPOINTS

# JSON answers of a kilobyte or more go out gzipped to clients that accept it: the lists a
# client loads at start (friends, channels, history pages) shrink to a fifth, which on a
# slow phone network is most of their time. Smaller ones (sends, acks) are left alone.
# The web files compress themselves (static.py) and pass through untouched.
# Attachments go out as stored (every file that is not an image is served as
# application/octet-stream): their Content-Length, ETag and ranges speak of those bytes.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
GZIP_EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream")

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[Any]]


def build(
    lifespan: Lifespan,
    metrics: Metrics,
    *,
    serve_web: bool = True,
    web_dir: Path | None = None,
) -> Starlette:
    routes: list[Any] = [Route(e.path, e.handler, methods=[e.method]) for e in ENDPOINTS]
    directory = web_dir or default_web_dir()
    if serve_web and directory.is_dir():
        routes.append(Mount("/", WebFiles(directory), name="web"))
    app = Starlette(
        routes=routes,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[
            Middleware(RequestLog, metrics=metrics, routes=routes),
            Middleware(
                GZipMiddleware,
                minimum_size=GZIP_MIN_BYTES,
                compresslevel=GZIP_LEVEL,
                exclude_content_types=GZIP_EXCLUDED,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.openapi = document()
    return app
