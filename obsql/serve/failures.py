"""Errors as the server answers them: obsql's error shape (kind, line, column, message, suggestion, and the text the
command line prints, with its caret), with an HTTP status chosen by the kind."""
from __future__ import annotations

from typing import Any

from obsql.errors import ObsqlError, render_text

# A name that does not exist is a missing resource; anything else a person got wrong is a bad request; a store that
# cannot be read is the server's trouble, not the request's.
STATUS_OF_KIND = {"syntax": 400, "name": 404, "input": 400, "sql": 400, "store": 503, "internal": 500}


class Refused(ObsqlError):
    """A request the server will not carry out as asked (no token, writes not allowed, a bad body), with its status."""

    def __init__(self, status: int, message: str, suggestion: str | None = None) -> None:
        ObsqlError.__init__(self, "input", message, suggestion=suggestion)
        self.status = status


def status_of(err: ObsqlError) -> int:
    return getattr(err, "status", None) or STATUS_OF_KIND[err.kind]


def error_payload(err: ObsqlError) -> dict[str, Any]:
    """`{"error": {...}}`: the error's fields, and `text`, the error as the command line prints it."""
    return {"error": {"kind": err.kind, "message": err.message, "line": err.line, "column": err.column,
                      "suggestion": err.suggestion, "text": render_text(err)}}


def internal(exc: BaseException) -> ObsqlError:
    """A bug of ours, in the same shape (the traceback goes to the server's log, not to the client)."""
    return ObsqlError("internal", f"{type(exc).__name__}: {exc}",
                      suggestion="this is a bug in obsql; the server's log has the traceback: please report it")
