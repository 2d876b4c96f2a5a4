"""The Starlette application: routes from the table, error handlers, middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chinwag.api.errors import HANDLERS
from chinwag.api.metrics import Metrics
from chinwag.api.middleware import RequestLog
from chinwag.api.openapi import document
from chinwag.api.table import ENDPOINTS

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[Any]]


def build(lifespan: Lifespan, metrics: Metrics, *, serve_web: bool = True) -> Starlette:
    routes: list[Any] = [Route(e.path, e.handler, methods=[e.method]) for e in ENDPOINTS]
    if serve_web and WEB_DIR.is_dir():
        routes.append(Mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web"))
    app = Starlette(
        routes=routes,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[Middleware(RequestLog, metrics=metrics, routes=routes)],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.openapi = document()
    return app
