"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json (a test checks it names every route)."""
from __future__ import annotations

from typing import Any

from obsql import __version__
from obsql.serve.config import ServeConfig

RESULT = {"$ref": "#/components/schemas/Result"}
ERROR = {"$ref": "#/components/schemas/Error"}
JSON = "application/json"


def _parameter(name: str, where: str, description: str, kind: str = "string", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": {"type": kind}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {400: "a bad request: OQL that does not parse or compile, a bad parameter or body",
               401: "the token is missing or wrong (nothing was written)",
               403: "the server is read-only (started without --allow-writes)",
               404: "a run, pointer, component or metric that does not exist", 405: "a write sent by GET",
               413: "the body is too large"}
    return {str(status): {"description": meaning[status], "content": {JSON: {"schema": ERROR}}}
            for status in statuses}


def _read(summary: str, *parameters: dict, schema: dict = RESULT) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": list(parameters),
                    "responses": {"200": {"description": "the answer", "content": {JSON: {"schema": schema}}},
                                  **_errors(400, 404)}}}


def _write(summary: str, body: dict, *parameters: dict) -> dict[str, Any]:
    return {"summary": summary, "parameters": list(parameters), "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
            "responses": {"200": {"description": "what was written", "content": {JSON: {"schema": RESULT}}},
                          **_errors(400, 401, 403, 404)}}


def _strings(name: str) -> dict:
    return {"type": "object", "required": [name], "properties": {name: {"type": "array", "items": {"type": "string"}}}}


def openapi(config: ServeConfig) -> dict[str, Any]:
    """The description of this server's API (its writes say whether they are allowed here)."""
    run_id = _parameter("run_id", "path", "a run id or a unique prefix of one")
    name = _parameter("name", "path", "a component")
    paths = {
        "/api/v1/runs": _read("recent runs, newest first (OQL: recent N)",
                              _parameter("limit", "query", "how many (1 to 1000, default 20)", "integer"),
                              _parameter("component", "query", "only this component's runs")),
        "/api/v1/runs/{run_id}": _read("a run's card: inputs, outputs, checks, metrics, dependencies, code, notes, "
                                       "staleness (OQL: inspect run 'ID')", run_id),
        "/api/v1/runs/{run_id}/notes": {"post": _write("add a note to a run (OQL: note run 'ID' 'text')",
                                                       {"type": "object", "required": ["text"],
                                                        "properties": {"text": {"type": "string"}}}, run_id)},
        "/api/v1/components": _read("every component with owner, tags, counts, first and last run"),
        "/api/v1/components/{name}/history": _read(
            "a component's runs over time with its metrics (OQL: history NAME)", name,
            _parameter("metric", "query", "metrics, comma-separated (accuracy,null_frac(fare))"),
            _parameter("every", "query", "a bucket, like 1 day")),
        "/api/v1/components/{name}/tags": {
            "post": _write("tag a component (OQL: tag NAME 'a', 'b')", _strings("tags"), name),
            "delete": _write("untag a component (OQL: untag NAME 'a')", _strings("tags"), name)},
        "/api/v1/pointers": _read("a pointer's card: who wrote and read it, its flag, its summaries",
                                  _parameter("p", "query", "the pointer", required=True)),
        "/api/v1/trace": _read("the lineage of a pointer: upstream, or forward (OQL: trace [forward] 'P')",
                               _parameter("pointer", "query", "the pointer", required=True),
                               _parameter("forward", "query", "1 for everything derived from it", "boolean"),
                               _parameter("depth", "query", "how many levels at most", "integer")),
        "/api/v1/query": {
            "get": _read("run OQL that only reads", _parameter("q", "query", "OQL", required=True))["get"],
            "post": _write("run OQL; statements that write need --allow-writes and the token",
                           {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}})},
        "/api/v1/flags": {
            **_read("the flagged outputs and the review ranking of the runs behind them",
                    schema={"type": "object", "properties": {"flagged": RESULT, "review": RESULT}}),
            "post": _write("flag outputs (OQL: flag 'a', 'b')", _strings("pointers")),
            "delete": _write("unflag outputs (OQL: unflag 'a', 'b')", _strings("pointers"))},
        "/api/v1/alerts": _read("SLA violations and detected changes still open, or with all=1 every episode",
                                _parameter("all", "query", "1 for past alerts too", "boolean")),
        "/api/v1/lineage": {"post": {
            "summary": "log OpenLineage RunEvents (one, or a list), where OpenLineage clients send them",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {JSON: {"schema": {"oneOf": [
                {"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"},
                {"type": "array", "items": {
                    "$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}}]}}}},
            "responses": {"201": {"description": "runs logged, runs the store had, runIds still waiting for their "
                                                 "COMPLETE, FAIL or ABORT",
                                  "content": {JSON: {"schema": {"$ref": "#/components/schemas/Received"}}}},
                          **_errors(400, 401, 403, 413)}}},
        "/api/v1/openapi.json": {"get": {"summary": "this description", "responses": {"200": {
            "description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}}}},
    }
    return {"openapi": "3.1.0",
            "info": {"title": "obsql", "version": __version__,
                     "description": "ML-pipeline observability over a Parquet store. Reads are open; writes "
                                    + ("need the bearer token." if config.allow_writes
                                       else "are off on this server (started without --allow-writes).")},
            "paths": paths,
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                           "schemas": _schemas()}}


def _schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    nullable_number = {"type": ["integer", "null"]}
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "Result": {"type": "object", "required": ["oql", "columns", "rows"], "properties": {
            "oql": {"type": "string", "description": "the OQL that was run"},
            "shape": {"type": "string", "description": "table, trace, card, history, expect"},
            "columns": strings, "rows": {"type": "array", "items": {"type": "array"}},
            "row_count": {"type": "integer"}, "truncated": {"type": "boolean"}, "notes": strings,
            "passed": {"type": "boolean"}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "properties": {
            "kind": {"enum": ["syntax", "name", "store", "input", "sql", "internal"]},
            "message": {"type": "string"}, "line": nullable_number, "column": nullable_number,
            "suggestion": nullable_text, "text": {"type": "string", "description": "as the command line prints it"},
        }}}},
        "Received": {"type": "object", "properties": {"logged": strings, "already": strings, "pending": strings}},
    }
