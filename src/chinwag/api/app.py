"""The Starlette application: routes from the table, error handlers, middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from chinwag.api.errors import HANDLERS
from chinwag.api.metrics import Metrics
from chinwag.api.middleware import RequestLog
from chinwag.api.openapi import document
from chinwag.api.static import WebFiles, default_web_dir
from chinwag.api.table import ENDPOINTS

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
        middleware=[Middleware(RequestLog, metrics=metrics, routes=routes)],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.openapi = document()
    return app
