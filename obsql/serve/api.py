"""The JSON endpoints under /api/v1: each page's data, the OQL console, flags, tags and notes, and OpenLineage in.

Reads run on the engines' reading pool; writes check the token (`auth`) before anything else, then run on the
writer. Every answer to a question is a result payload (`values.result_payload`: the OQL it ran, columns, rows);
every error is obsql's error shape (`failures.error_payload`), raised here and drawn by the app's handler.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from obsql.api import Store
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.serve import oql
from obsql.serve.auth import check_api_write, check_writes_on
from obsql.serve.config import ServeConfig
from obsql.serve.engines import Engines
from obsql.serve.failures import Refused
from obsql.serve.lineage import MAX_BODY, decoded_events, receive, too_large
from obsql.serve.openapi import openapi
from obsql.openlineage.pending import PendingEvents
from obsql.serve.values import result_payload

DEFAULT_LIMIT, MAX_LIMIT = 20, 1000


@dataclass
class Server:
    """What every endpoint needs: the options, the engines and the waiting OpenLineage events."""

    config: ServeConfig
    engines: Engines
    pending: PendingEvents


def server_of(request: Request) -> Server:
    return request.app.state.server


# -- reading -------------------------------------------------------------------------------------------------------
async def answer(request: Request, text: str) -> JSONResponse:
    """The result of a read-only OQL text, as JSON."""
    server = server_of(request)
    payload = await server.engines.read(lambda engine: result_payload(oql.run(engine, text), server.config.max_rows))
    return JSONResponse(payload)


def whole_number(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    """A query parameter that must be a whole number from `low` to `high` (400 otherwise)."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise Refused(400, f"?{name}= takes a whole number from {low} to {high}, not {text!r}")
    return int(text)


def required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise Refused(400, f"this endpoint needs ?{name}=")
    return value


def switch(request: Request, name: str) -> bool:
    """A yes/no query parameter: 1, true, yes, on (any case) for yes."""
    return request.query_params.get(name, "").lower() in ("1", "true", "yes", "on")


async def runs(request: Request) -> JSONResponse:
    limit = whole_number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    component = request.query_params.get("component")
    return await answer(request, oql.runs_of(component, limit) if component else oql.recent(limit))


async def run_card(request: Request) -> JSONResponse:
    return await answer(request, oql.run_card(request.path_params["run_id"]))


async def components(request: Request) -> JSONResponse:
    return await answer(request, oql.components())


async def history(request: Request) -> JSONResponse:
    metrics = request.query_params.get("metric", "").split(",")
    every = request.query_params.get("every")
    return await answer(request, oql.history(request.path_params["name"], metrics, every))


async def pointer_card(request: Request) -> JSONResponse:
    return await answer(request, oql.pointer_card(required(request, "p")))


async def trace(request: Request) -> JSONResponse:
    depth = whole_number(request, "depth", None, 0, 10_000)
    return await answer(request, oql.trace(required(request, "pointer"), switch(request, "forward"), depth))


async def alerts(request: Request) -> JSONResponse:
    return await answer(request, oql.alerts(switch(request, "all")))


async def flags(request: Request) -> JSONResponse:
    """The flagged outputs and the review ranking of the runs behind them."""
    server = server_of(request)

    def both(engine: Engine) -> dict[str, Any]:
        return {"flagged": result_payload(oql.run(engine, oql.flagged()), server.config.max_rows),
                "review": result_payload(oql.run(engine, oql.review()), server.config.max_rows)}

    return JSONResponse(await server.engines.read(both))


async def query(request: Request) -> JSONResponse:
    """OQL from ?q= (reads only) or a POST's {"q": ...} (writes too, with --allow-writes and the token)."""
    server = server_of(request)
    text = required(request, "q") if request.method == "GET" else str((await json_body(request)).get("q") or "")
    if not text.strip():
        raise Refused(400, 'send the OQL as ?q= or as {"q": "..."}')
    try:
        writing = oql.writes(text)
    except ObsqlError as err:
        raise err.with_source(text)
    if not writing:
        return await answer(request, text)
    if request.method == "GET":
        check_writes_on(server.config)  # a read-only server says so first
        raise Refused(405, "a statement that writes is sent by POST, not GET",
                      suggestion='POST /api/v1/query with {"q": "..."} and Authorization: Bearer <token>')
    check_api_write(server.config, request)
    return await write(request, text)


# -- writing -------------------------------------------------------------------------------------------------------
async def write(request: Request, text: str) -> JSONResponse:
    """Run OQL that writes on the writer (the caller has checked the request may write)."""
    server = server_of(request)
    payload = await server.engines.write(lambda store: result_payload(oql.run(store.engine, text),
                                                                      server.config.max_rows))
    return JSONResponse(payload)


async def body_bytes(request: Request) -> bytes:
    """The request's body, refused (413) once it passes MAX_BODY bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        value = json.loads(await body_bytes(request) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Refused(400, "the body must be a JSON object")
    return value


def listed(body: dict[str, Any], name: str) -> list[str]:
    values = body.get(name)
    if not isinstance(values, list):
        raise Refused(400, f'the body needs "{name}": a list of strings')
    return values


async def change_flags(request: Request) -> JSONResponse:
    check_api_write(server_of(request).config, request)
    pointers = listed(await json_body(request), "pointers")
    return await write(request, oql.flag(pointers, request.method == "POST"))


async def change_tags(request: Request) -> JSONResponse:
    check_api_write(server_of(request).config, request)
    tags = listed(await json_body(request), "tags")
    return await write(request, oql.tag(request.path_params["name"], tags, request.method == "POST"))


async def add_note(request: Request) -> JSONResponse:
    check_api_write(server_of(request).config, request)
    text = (await json_body(request)).get("text")
    if not isinstance(text, str):
        raise Refused(400, 'the body needs "text": the note')
    return await write(request, oql.note(request.path_params["run_id"], text))


async def lineage(request: Request) -> JSONResponse:
    """OpenLineage RunEvents, as HttpTransport posts them to {url}/api/v1/lineage."""
    server = server_of(request)
    check_api_write(server.config, request)
    events = decoded_events(await body_bytes(request), request.headers.get("content-encoding"))

    def log(store: Store) -> dict[str, list[str]]:
        return receive(store, server.pending, events).payload()

    return JSONResponse(await server.engines.write(log), status_code=201)


async def description(request: Request) -> Response:
    return JSONResponse(openapi(server_of(request).config))


def _route(path: str, endpoint: Callable, *methods: str) -> Route:
    return Route(f"/api/v1{path}", endpoint, methods=list(methods or ["GET"]))


ROUTES = [
    _route("/runs", runs),
    _route("/runs/{run_id}", run_card),
    _route("/runs/{run_id}/notes", add_note, "POST"),
    _route("/components", components),
    _route("/components/{name:path}/history", history),
    _route("/components/{name:path}/tags", change_tags, "POST", "DELETE"),
    _route("/pointers", pointer_card),
    _route("/trace", trace),
    _route("/query", query, "GET", "POST"),
    _route("/flags", flags),
    _route("/flags", change_flags, "POST", "DELETE"),
    _route("/alerts", alerts),
    _route("/lineage", lineage, "POST"),
    _route("/openapi.json", description),
]
