"""The OQL behind each endpoint and page, written from request values with OQL's own quoting, and run.

Every response carries the OQL it ran (`oql`), so what a page shows can be asked again at the shell. A text from a
request is parsed before it runs; one holding a statement that writes runs only where writes are allowed.
"""
from __future__ import annotations

import re
from typing import Iterable

from obsql.compiler.events import FLAGGED_NOW
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.grammar import ast, parse
from obsql.grammar.parser import quote
from obsql.result import Result

WRITES = (ast.Flag, ast.Unflag, ast.Tag, ast.Note)  # the statements that append events to the store
_METRIC = re.compile(r"\w+(\(\w+\))?")  # a metric, or a function of a column: accuracy, null_frac(fare)
_EVERY = re.compile(r"\d+\s+[a-z]+")  # an interval: 1 day, 2 weeks


def recent(limit: int) -> str:
    return f"recent {limit}"


def runs_of(component: str, limit: int) -> str:
    return f"runs of {quote(component)} | order by start_time desc | limit {limit}"


def run_card(run_id: str) -> str:
    return f"inspect run {quote(run_id)}"


def pointer_card(pointer: str) -> str:
    return f"inspect {quote(pointer)}"


def components() -> str:
    return "components"


def component(name: str) -> str:
    return f"components where component = {quote(name)}"


def history(name: str, metrics: Iterable[str] = (), every: str | None = None) -> str:
    """`history` of a component, with the metrics and bucket asked for (each checked: nothing else gets in)."""
    metrics = [m.strip() for m in metrics if m.strip()]
    for metric in metrics:
        if not _METRIC.fullmatch(metric):
            raise ObsqlError("input", f"metric {metric!r} is not a metric name or a function of a column",
                             suggestion="like accuracy, or null_frac(fare)")
    text = f"history {quote(name)}" + (f" metric {', '.join(metrics)}" if metrics else "")
    if every:
        if not _EVERY.fullmatch(every.strip()):
            raise ObsqlError("input", f"every {every!r} is not an interval", suggestion="like 1 day or 2 weeks")
        text += f" every {every.strip()}"
    return text


def trace(pointer: str, forward: bool = False, depth: int | None = None) -> str:
    text = f"trace {'forward ' if forward else ''}{quote(pointer)}"
    return text if depth is None else f"{text} depth {depth}"


def alerts(every_episode: bool) -> str:
    return "alerts all" if every_episode else "alerts"


def review() -> str:
    return "review"


def flagged() -> str:
    return f"sql {FLAGGED_NOW}"


def flag(pointers: list[str], flagged_now: bool) -> str:
    return f"{'flag' if flagged_now else 'unflag'} {', '.join(quote(p) for p in _nonempty(pointers, 'pointers'))}"


def tag(name: str, tags: list[str], tagged: bool) -> str:
    return f"{'tag' if tagged else 'untag'} {quote(name)} {', '.join(quote(t) for t in _nonempty(tags, 'tags'))}"


def note(run_id: str, text: str) -> str:
    if not text.strip():
        raise ObsqlError("input", "the note is empty")
    return f"note run {quote(run_id)} {quote(text)}"


def _nonempty(values: list[str], what: str) -> list[str]:
    kept = list(dict.fromkeys(v for v in values if isinstance(v, str) and v))
    if not kept or len(kept) != len(values):
        raise ObsqlError("input", f"name one or more {what}, each a non-empty string")
    return kept


def writes(text: str) -> bool:
    """Whether any statement of an OQL text writes (a syntax error raises, with its caret)."""
    return any(isinstance(statement, WRITES) for statement in parse(text).statements)


def run(engine: Engine, text: str) -> Result:
    """Every statement of `text`, in order; the last one's result (as `obsql.query` gives it)."""
    results = engine.run(text)
    if not results:
        raise ObsqlError("syntax", "the query is empty", suggestion="try `components` or `recent`")
    return results[-1]
