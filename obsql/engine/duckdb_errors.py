"""DuckDB's errors as OQL errors that point at the text that caused them.

A missing column is the common case. Its name can appear several times in one statement (`runs | select run_id as r
| where run_id = 'x'`: the first mention is fine, the second is not), so the blamed mention is the one in the first
stage of the pipeline that no longer binds: the engine tries the statement cut after each pipe until one fails.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable

import duckdb

from obsql.compiler.sql import walk
from obsql.errors import ObsqlError, did_you_mean, position
from obsql.grammar import ast

_MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found')
_CANDIDATES = re.compile(r'Candidate bindings: (.*)')

# Whether a query binds in DuckDB: True or False, or None where it cannot be tried on its own (a walk's pipes).
Binds = Callable[[ast.Query], "bool | None"]


def explain_duckdb_error(exc: duckdb.Error, statement: ast.Statement, binds: Binds) -> ObsqlError:
    """A DuckDB error as a person-facing error, pointing at the OQL that caused it where possible."""
    message = str(exc).strip()
    missing = _MISSING_COLUMN.search(message)
    if missing:
        return _missing_column(missing.group(1), message, statement, binds)
    if isinstance(exc, duckdb.InterruptException):
        return ObsqlError("input", "query cancelled")
    kind = "input" if isinstance(exc, (duckdb.BinderException, duckdb.ConversionException)) else "sql"
    first = message.splitlines()[0]
    return ObsqlError(kind, first.removeprefix("Binder Error: ").removeprefix("Conversion Error: "))


def _missing_column(name: str, message: str, statement: ast.Statement, binds: Binds) -> ObsqlError:
    listed = _CANDIDATES.search(message)
    candidates = re.findall(r'"(?:\w+\.)?(\w+)"', listed.group(1)) if listed else []
    mentions = _mentions(_failing_part(statement, binds), name) or _mentions(statement, name)
    return ObsqlError("name", f"no column '{name}' here", suggestion=did_you_mean(name, candidates),
                      **position(mentions[0] if mentions else None))


def _mentions(node: ast.Node, name: str) -> list[ast.Column]:
    return [n for n in walk(node) if isinstance(n, ast.Column) and n.name == name]


def _failing_part(statement: ast.Statement, binds: Binds) -> ast.Node:
    """The source or pipe of the statement's query where binding first fails (the whole statement if unknown)."""
    query = statement.query if isinstance(statement, ast.Expect) else statement
    if not isinstance(query, ast.Query):
        return statement
    stages: list[ast.Node] = [query.source, *query.pipes]
    for cut, stage in enumerate(stages):
        bound = binds(dataclasses.replace(query, pipes=query.pipes[:cut]))
        if bound is None:
            return statement
        if not bound:
            return stage
    return statement.condition if isinstance(statement, ast.Expect) and statement.condition else statement
