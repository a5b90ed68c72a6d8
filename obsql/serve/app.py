"""The Starlette application: the API's routes and the pages' routes over one set of engines, and one error shape.

`create_app(config)` opens the engines (the store must exist, or be creatable with --allow-writes) and returns the
app; its lifespan closes them (the writer flushes). Errors anywhere become obsql's error shape: JSON under /api/,
an HTML page elsewhere, with the status the error's kind gives (`failures`).
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from obsql.errors import ObsqlError
from obsql.serve import api, pages
from obsql.serve.config import ServeConfig
from obsql.serve.engines import Engines
from obsql.serve.failures import Refused, error_payload, internal, status_of
from obsql.openlineage.pending import PendingEvents

log = logging.getLogger("obsql.serve")


def create_app(config: ServeConfig) -> Starlette:
    """The server's application over `config.store`."""
    engines = Engines(config)
    server = api.Server(config, engines, PendingEvents(config.store.expanduser().resolve()))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engines.close()

    app = Starlette(routes=[*api.ROUTES, *pages.ROUTES], lifespan=lifespan,
                    exception_handlers={ObsqlError: on_error, HTTPException: on_error, Exception: on_error})
    app.state.server = server
    return app


async def on_error(request: Request, exc: Exception) -> Response:
    """Any error as obsql's error shape: JSON for the API, a page for the rest."""
    if isinstance(exc, ObsqlError):
        err = exc
    elif isinstance(exc, HTTPException):
        err = Refused(exc.status_code, _http_message(request, exc))
    else:
        log.exception("obsql: internal error on %s %s", request.method, request.url.path)
        err = internal(exc)
    status = status_of(err)
    headers = {"WWW-Authenticate": 'Bearer realm="obsql"'} if status == 401 else None
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_payload(err), status_code=status, headers=headers)
    writes = request.app.state.server.config.allow_writes
    return HTMLResponse(pages.error_page(err, writes), status_code=status, headers=headers)


def _http_message(request: Request, exc: HTTPException) -> str:
    if exc.status_code == 404:
        return f"there is no page {request.url.path}"
    if exc.status_code == 405:
        return f"{request.url.path} does not take {request.method}"
    return str(exc.detail)
